// Every proxy under test: how to tell whether it can run here and how to start it.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startNginxProxy } from './nginx.mjs'
import { CPU_SETS, startServer, waitForHttp } from './processes.mjs'

/**
 * @typedef {object} StartContext
 * @property {string} root the repository root
 * @property {number} port where the contender must listen (127.0.0.1)
 * @property {number} upstreamPort the upstream nginx
 * @property {string} tmpDir a scratch directory for this contender
 */
/**
 * @typedef {object} Contender
 * @property {string} id short stable id
 * @property {string} label what the table calls it
 * @property {'node' | 'bun' | 'deno' | 'nginx'} runtime
 * @property {'ours' | 'clerk' | 'nginx'} kind
 * @property {(root: string) => string | undefined} unavailable why it cannot run here, or undefined
 * @property {(ctx: StartContext) => Promise<{ pid: number, stop(): Promise<void>, output(): string }>} start
 */

export const SECRET_KEY = 'sk_live_benchmarkbenchmarkbenchmarkbenchmark'
// pk_live_ + base64("clerk.example.com$"): a well-formed key Clerk's helper insists on.
export const PUBLISHABLE_KEY = `pk_live_${Buffer.from('clerk.example.com$').toString('base64')}`

function proxyEnv(ctx) {
  return {
    PORT: String(ctx.port),
    HOST: '127.0.0.1',
    CLERK_SECRET_KEY: SECRET_KEY,
    CLERK_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    CLERK_FAPI_URL: `http://127.0.0.1:${ctx.upstreamPort}`,
    // The other contenders write no access log either.
    CLERK_PROXY_LOG: 'off',
    // The memory test uploads 256 MiB; the default 10 MiB request limit would refuse it.
    CLERK_PROXY_MAX_BODY: '0',
    NODE_ENV: 'production',
  }
}

function startAndWait(ctx, command, args, extraEnv = {}) {
  return startServer(command, args, {
    cwd: ctx.root,
    env: { ...proxyEnv(ctx), ...extraEnv },
    role: 'proxy',
    // Any answer means it listens; a proxied path would also prove the upstream is reachable.
    ready: (proc) => waitForHttp(`http://127.0.0.1:${ctx.port}/__clerk/v1/environment`, { alive: () => !proc.exited(), describe: proc.output }),
  })
}

export const bin = (root, name) => join(root, 'node_modules/.bin', name)
const needs = (root, file, what) => (existsSync(resolve(root, file)) ? undefined : `${what} not present (${file})`)

/** Our Bun entry: `adapters/bun.ts`, or a file named by BENCH_OURS_BUN_ENTRY (harness testing). */
export const oursBunEntry = () => process.env.BENCH_OURS_BUN_ENTRY ?? 'adapters/bun.ts'
export const oursDenoEntry = () => process.env.BENCH_OURS_DENO_ENTRY ?? 'adapters/deno.ts'

/** @type {Contender[]} */
export const CONTENDERS = [
  {
    id: 'ours-node',
    label: 'ours · Node',
    runtime: 'node',
    kind: 'ours',
    unavailable: (root) => needs(root, 'dist/src/cli/main.js', 'build output (npm run build)'),
    start: (ctx) => startAndWait(ctx, process.execPath, ['bin/clerk-proxy.js']),
  },
  {
    // `--workers 2`: node:cluster, the primary handing connections to two workers. Compare with
    // ours-node (one process) under BENCH_PIN=0: pinned, both workers would share one CPU.
    id: 'ours-node-2w',
    label: 'ours · Node · 2 workers',
    runtime: 'node',
    kind: 'ours',
    unavailable: (root) =>
      CPU_SETS ? 'pinned to one CPU, two workers would share it: run with BENCH_PIN=0' : needs(root, 'dist/src/cli/main.js', 'build output (npm run build)'),
    start: (ctx) => startAndWait(ctx, process.execPath, ['bin/clerk-proxy.js', '--workers', '2']),
  },
  {
    id: 'clerk-node',
    label: 'Clerk helper · Node',
    runtime: 'node',
    kind: 'clerk',
    unavailable: (root) => needs(root, 'node_modules/@clerk/backend/package.json', '@clerk/backend'),
    start: (ctx) => startAndWait(ctx, process.execPath, ['bench/contenders/clerk-helper.mjs']),
  },
  {
    id: 'ours-bun',
    label: 'ours · Bun',
    runtime: 'bun',
    kind: 'ours',
    unavailable: (root) => needs(root, oursBunEntry(), 'Bun adapter') ?? needs(root, 'node_modules/.bin/bun', 'bun'),
    start: (ctx) => startAndWait(ctx, bin(ctx.root, 'bun'), ['run', oursBunEntry()]),
  },
  {
    id: 'clerk-bun',
    label: 'Clerk helper · Bun',
    runtime: 'bun',
    kind: 'clerk',
    unavailable: (root) => needs(root, 'node_modules/.bin/bun', 'bun') ?? needs(root, 'node_modules/@clerk/backend/package.json', '@clerk/backend'),
    start: (ctx) => startAndWait(ctx, bin(ctx.root, 'bun'), ['run', 'bench/contenders/clerk-helper.mjs']),
  },
  {
    id: 'ours-deno',
    label: 'ours · Deno',
    runtime: 'deno',
    kind: 'ours',
    unavailable: (root) => needs(root, oursDenoEntry(), 'Deno adapter') ?? needs(root, 'node_modules/.bin/deno', 'deno'),
    start: (ctx) =>
      startAndWait(ctx, bin(ctx.root, 'deno'), ['run', '-A', oursDenoEntry()], { DENO_DIR: join(ctx.root, '.deno'), DENO_NO_UPDATE_CHECK: '1' }),
  },
  {
    id: 'nginx',
    label: "nginx (Clerk's guide)",
    runtime: 'nginx',
    kind: 'nginx',
    unavailable: () => undefined,
    start: (ctx) => startNginxProxy({ dir: ctx.tmpDir, port: ctx.port, upstreamPort: ctx.upstreamPort, secretKey: SECRET_KEY }),
  },
]
