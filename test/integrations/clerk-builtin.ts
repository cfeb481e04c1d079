/**
 * Clerk's own built-in proxy (`frontendApiProxy`) started in a framework, in a child process
 * (Clerk's proxy reads CLERK_FAPI_URL from process.env on every request), and the conformance
 * suite run against it with the known differences as expected failures. One test file per
 * framework, so their waits (no timeout, no abort) overlap.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describeConformance, type RunningTarget } from '../conformance/suite.ts'
import { BUILT_IN_DIFFERENCES } from './clerk-builtin-differences.ts'
import { publishableKeyFor } from './clerk-sdk-cases.ts'

const SERVER = join(import.meta.dirname, 'clerk-builtin-server.mjs')

/**
 * Starts test/integrations/clerk-builtin-server.mjs for `framework` with exactly `env` (plus a
 * publishable key naming the stand-in, unless `env` has one).
 *
 * @example
 * const running = await startBuiltIn('express', { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url })
 */
export async function startBuiltIn(framework: string, env: Record<string, string>): Promise<RunningTarget> {
  const publishableKey = publishableKeyFor(new URL(env.CLERK_FAPI_URL ?? 'http://127.0.0.1').host)
  const child = spawn(process.execPath, [SERVER, framework], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env, CLERK_PUBLISHABLE_KEY: env.CLERK_PUBLISHABLE_KEY ?? publishableKey },
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

/**
 * Registers the conformance suite against Clerk's built-in proxy in `framework`.
 *
 * @example
 * describeBuiltIn('fastify')
 */
export function describeBuiltIn(framework: keyof typeof BUILT_IN_DIFFERENCES & string): void {
  describeConformance({
    name: `Clerk's built-in frontendApiProxy (${framework})`,
    start: (env) => startBuiltIn(framework, env),
    expectedClientIp: '127.0.0.1',
    encoding: 'passthrough',
    propagatesAbort: true,
    knownDifferences: BUILT_IN_DIFFERENCES[framework],
    enforcesBodyLimit: false,
  })
}
