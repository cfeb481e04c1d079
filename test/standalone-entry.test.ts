/**
 * `bun run adapters/bun.ts` and `deno run --allow-net --allow-env adapters/deno.ts` as a user
 * starts them: the CLI's variables, exit code 1 naming the bad variable (never the secret), an
 * access log without query strings, and a graceful stop on SIGTERM.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { startFapiStandIn } from './support/fapi-stand-in.ts'
import { sendRaw } from './support/http-client.ts'
import { spawnServer } from './support/spawn-server.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const SECRET = 'sk_live_entrySecretValue0987654321'

const runtimes: { name: string; command: string; args: string[]; env: Record<string, string> }[] = [
  { name: 'bun', command: `${root}node_modules/.bin/bun`, args: ['run', `${root}adapters/bun.ts`], env: {} },
  {
    name: 'deno',
    command: `${root}node_modules/.bin/deno`,
    args: ['run', '--allow-net', '--allow-env', `${root}adapters/deno.ts`],
    env: { DENO_DIR: `${root}.deno`, NO_COLOR: '1' },
  },
]

/** Runs the entry until it exits; resolves with its exit code and output. */
function runToExit(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    // 'close', not 'exit': the exit can be reported before the last stderr chunk has been read.
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe.each(runtimes)('$name entry', ({ command, args, env }) => {
  test('refuses to start on a bad configuration: exit 1, the variable named, the secret never printed', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'CLERK_SECRET_KEY'],
      [{ CLERK_SECRET_KEY: 'not-a-key-secret-4242' }, 'CLERK_SECRET_KEY'],
      [{ CLERK_SECRET_KEY: SECRET, PORT: 'eighty' }, 'PORT'],
      [{ CLERK_SECRET_KEY: SECRET, CLERK_PROXY_URL: 'app.example.com/__clerk' }, 'CLERK_PROXY_URL'],
      [{ CLERK_SECRET_KEY: SECRET, CLERK_PROXY_LOG: 'loud' }, 'CLERK_PROXY_LOG'],
    ]
    const results = await Promise.all(cases.map(([vars]) => runToExit(command, args, { ...env, ...vars })))
    results.forEach(({ code, output }, i) => {
      const [, variable] = cases[i]!
      expect(code, output).toBe(1)
      expect(output).toContain(variable)
      expect(output).not.toContain(SECRET)
      expect(output).not.toContain('not-a-key-secret-4242')
    })
  })

  test('serves with the CLI environment, logs requests without query strings, stops on SIGTERM', async () => {
    const fapi = await startFapiStandIn()
    try {
      const server = await spawnServer(command, args, {
        ...env,
        CLERK_SECRET_KEY: SECRET,
        CLERK_FAPI_URL: fapi.url,
        CLERK_PROXY_URL: 'https://app.example.test/__clerk',
        CLERK_PROXY_LOG: 'json',
        PORT: '0',
        HOST: '127.0.0.1',
      })
      const health = await sendRaw(server.baseUrl, { target: '/healthz' })
      expect(health.status).toBe(200)
      const res = await sendRaw(server.baseUrl, { target: '/__clerk/v1/environment?__clerk_db_jwt=token-in-query' })
      expect(res.status).toBe(200)
      await expect.poll(() => server.output()).toContain('"path":"/__clerk/v1/environment"')
      const log = server.output()
      expect(log).not.toContain('token-in-query')
      expect(log).not.toContain(SECRET)
      await server.stop()
      expect(await server.exited).toBe(0)
    } finally {
      await fapi.close()
    }
  })
})
