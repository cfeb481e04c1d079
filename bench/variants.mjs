// `node bench/variants.mjs ENTRY…`: A/B comparison of Bun or Deno server entries (files that
// start a proxy reading PORT, HOST, CLERK_*) against the bench's nginx upstream, alternating
// the entries round by round; prints req/s and the proxy's CPU µs per request for each.
// An entry is `bun:path`, `deno:path` or `clerk-bun` (Clerk's helper on Bun).
// Settings: VARIANT_SECONDS (4), VARIANT_ROUNDS (3), VARIANT_CONNECTIONS (32).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PUBLISHABLE_KEY, SECRET_KEY } from './lib/contenders.mjs'
import { startUpstreamNginx } from './lib/nginx.mjs'
import { freePort, procCpuSeconds, startProcess, waitForHttp } from './lib/processes.mjs'
import { ensureTools } from './lib/tools.mjs'
import { runWrk } from './lib/wrk.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
const seconds = Number(process.env.VARIANT_SECONDS ?? 4)
const rounds = Number(process.env.VARIANT_ROUNDS ?? 3)
const connections = Number(process.env.VARIANT_CONNECTIONS ?? 32)

function command(entry) {
  if (entry === 'clerk-bun') return [join(root, 'node_modules/.bin/bun'), ['run', 'bench/contenders/clerk-helper.mjs']]
  const [runtime, file] = entry.split(':')
  if (runtime === 'bun') return [join(root, 'node_modules/.bin/bun'), ['run', file]]
  if (runtime === 'deno') return [join(root, 'node_modules/.bin/deno'), ['run', '-A', file]]
  throw new Error(`unknown entry ${entry}`)
}

async function main() {
  const entries = process.argv.slice(2)
  ensureTools()
  const work = mkdtempSync(join(tmpdir(), 'clerk-proxy-variants-'))
  mkdirSync(join(work, 'www/v1'), { recursive: true })
  copyFileSync(join(here, 'fixtures/environment.json'), join(work, 'www/v1/environment'))
  const upstreamPort = await freePort()
  const upstream = await startUpstreamNginx({ dir: join(work, 'upstream'), port: upstreamPort, wwwDir: join(work, 'www'), sinkPort: 1 })
  const running = []
  try {
    for (const entry of entries) {
      const port = await freePort()
      const [cmd, args] = command(entry)
      const proc = startProcess(cmd, args, {
        cwd: root,
        role: 'proxy',
        env: {
          PORT: String(port), HOST: '127.0.0.1', CLERK_SECRET_KEY: SECRET_KEY, CLERK_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
          CLERK_FAPI_URL: `http://127.0.0.1:${upstreamPort}`, CLERK_PROXY_LOG: 'off', CLERK_PROXY_MAX_BODY: '0',
          DENO_DIR: join(root, '.deno'), DENO_NO_UPDATE_CHECK: '1',
        },
      })
      const url = `http://127.0.0.1:${port}/__clerk/v1/environment`
      running.push({ entry, proc, url, results: [] })
      await waitForHttp(url, { alive: () => !proc.exited(), describe: proc.output })
      await runWrk({ url, connections, seconds: 2 })
    }
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < running.length; i++) {
        const r = running[(i + round) % running.length]
        const cpu0 = procCpuSeconds(r.proc.pid)
        const result = await runWrk({ url: r.url, connections, seconds })
        const cpu = procCpuSeconds(r.proc.pid) - cpu0
        r.results.push({ rps: result.rps, p99: result.p99, us: (cpu / (result.rps * seconds)) * 1e6 })
      }
    }
    for (const r of running) {
      const fmt = r.results.map((x) => `${Math.round(x.rps)} req/s ${Math.round(x.us)} µs p99 ${x.p99}`).join(' | ')
      process.stdout.write(`${r.entry.padEnd(40)} ${fmt}\n`)
    }
  } finally {
    for (const r of running) await r.proc.stop()
    await upstream.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
