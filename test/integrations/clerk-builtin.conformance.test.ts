/**
 * Clerk's own built-in proxy (`frontendApiProxy` in @clerk/express, @clerk/fastify and
 * @clerk/hono) run through the same conformance suite as ours (express/fastify/hono
 * `.conformance.test.ts` run it against our integrations, with no known differences), and the
 * comparison table in docs/frameworks-comparison.md checked against these runs.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { describeConformance, SECRET, type RunningTarget } from '../conformance/suite.ts'
import { assetPayload, startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { sendRaw } from '../support/http-client.ts'
import { BUILT_IN_DIFFERENCES, comparisonTable } from './clerk-builtin-differences.ts'
import { publishableKeyFor } from './clerk-sdk-cases.ts'

const SERVER = join(import.meta.dirname, 'clerk-builtin-server.mjs')

async function startBuiltIn(framework: string, env: Record<string, string>): Promise<RunningTarget> {
  const publishableKey = publishableKeyFor(new URL(env.CLERK_FAPI_URL ?? 'http://127.0.0.1').host)
  const child = spawn(process.execPath, [SERVER, framework], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env, CLERK_PUBLISHABLE_KEY: publishableKey },
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const exited = once(child, 'exit')
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), exited.then(() => [undefined])])) as [string | undefined]
  if (line === undefined) throw new Error(`${framework}: Clerk's built-in proxy did not start`)
  const { port } = JSON.parse(line) as { port: number }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

for (const [framework, knownDifferences] of Object.entries(BUILT_IN_DIFFERENCES)) {
  describeConformance({
    name: `Clerk's built-in frontendApiProxy (${framework})`,
    start: (env) => startBuiltIn(framework, env),
    expectedClientIp: '127.0.0.1',
    encoding: 'passthrough',
    propagatesAbort: true,
    knownDifferences,
  })
}

describe("Clerk's built-in proxy, the differences that matter most, measured", () => {
  let fapi: FapiStandIn
  beforeAll(async () => {
    fapi = await startFapiStandIn()
  })
  afterAll(() => fapi?.close())

  for (const framework of Object.keys(BUILT_IN_DIFFERENCES)) {
    test(`${framework}: a client chooses the IP Clerk sees, and assets arrive uncompressed`, async () => {
      const running = await startBuiltIn(framework, { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url })
      try {
        const tag = randomBytes(6).toString('hex')
        await sendRaw(running.baseUrl, { target: `/__clerk/echo/${tag}`, headers: { 'CF-Connecting-IP': '6.6.6.6' } })
        expect((await fapi.waitFor((r) => r.url.includes(tag))).headers['x-forwarded-for']).toBe('6.6.6.6')
        const asset = await sendRaw(running.baseUrl, { target: '/__clerk/npm/@clerk/clerk-js@5/dist/clerk.browser.js', headers: { 'Accept-Encoding': 'br, gzip' } })
        expect(asset.headers['content-encoding']).toBeUndefined()
        expect(asset.body.equals(assetPayload(1_400_000))).toBe(true)
      } finally {
        await running.stop()
      }
    })
  }

  test('docs/frameworks-comparison.md shows exactly these known differences', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/frameworks-comparison.md'), 'utf8')
    expect(doc).toContain(comparisonTable())
  })
})
