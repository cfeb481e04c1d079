/**
 * The standalone servers as their documented commands, for suites that run the same checks
 * on each: `clerk-proxy` (Node), `bun run adapters/bun.ts`, `deno run adapters/deno.ts`.
 */
import { fileURLToPath } from 'node:url'
import { spawnServer, type SpawnedServer } from './spawn-server.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** Starts one standalone server with exactly `env` (plus what its runtime needs). */
export type StandaloneCommand = (env: Record<string, string>) => Promise<SpawnedServer>

/** Each standalone server by name. */
export const STANDALONE_COMMANDS: Readonly<Record<'Node (clerk-proxy CLI)' | 'Bun' | 'Deno', StandaloneCommand>> = {
  'Node (clerk-proxy CLI)': (env) => spawnServer(process.execPath, [`${root}bin/clerk-proxy.js`], env),
  Bun: (env) => spawnServer(`${root}node_modules/.bin/bun`, ['run', `${root}adapters/bun.ts`], env),
  Deno: (env) =>
    spawnServer(`${root}node_modules/.bin/deno`, ['run', '--allow-net', '--allow-env', `${root}adapters/deno.ts`], { ...env, DENO_DIR: `${root}.deno`, NO_COLOR: '1' }),
}

/** The environment of a test server: loopback, a free port, the key, the FAPI stand-in, and `extra`. */
export function standaloneEnv(secretKey: string, fapiUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    PORT: '0',
    HOST: '127.0.0.1',
    CLERK_SECRET_KEY: secretKey,
    CLERK_FAPI_URL: fapiUrl,
    ...extra,
  }
}
