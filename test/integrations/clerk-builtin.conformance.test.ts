/**
 * Clerk's own built-in proxy (`frontendApiProxy` in @clerk/express, @clerk/fastify and
 * @clerk/hono): the differences that matter most, measured directly, and the comparison table
 * in docs/frameworks-comparison.md checked against the known differences the
 * `clerk-builtin-<framework>.conformance.test.ts` runs confirm.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SECRET } from '../conformance/suite.ts'
import { assetPayload, startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { sendRaw } from '../support/http-client.ts'
import { BUILT_IN_DIFFERENCES, comparisonTable } from './clerk-builtin-differences.ts'
import { startBuiltIn } from './clerk-builtin.ts'

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
