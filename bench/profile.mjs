// `node bench/profile.mjs`: profiles ours on Node (`node --cpu-prof bin/clerk-proxy.js`) under
// wrk load against the bench's nginx upstream and prints where the CPU time goes (self time by
// function and by package). Settings: PROFILE_SECONDS (8), PROFILE_CONNECTIONS (32),
// PROFILE_RUNTIME=bun to profile ours on Bun instead (`bun --cpu-prof run adapters/bun.ts`,
// PROFILE_ENTRY to name another entry file), written to bench/bun.cpuprofile.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SECRET_KEY, PUBLISHABLE_KEY } from './lib/contenders.mjs'
import { startUpstreamNginx } from './lib/nginx.mjs'
import { freePort, startProcess, waitForHttp } from './lib/processes.mjs'
import { startUploadSink } from './lib/sink.mjs'
import { ensureTools } from './lib/tools.mjs'
import { runWrk } from './lib/wrk.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
const seconds = Number(process.env.PROFILE_SECONDS ?? 8)
const connections = Number(process.env.PROFILE_CONNECTIONS ?? 32)
const runtime = process.env.PROFILE_RUNTIME ?? 'node'

/** The proxy command line under the profiler for the chosen runtime. */
function profiledCommand(profDir) {
  if (runtime === 'bun') return [join(root, 'node_modules/.bin/bun'), ['--cpu-prof', `--cpu-prof-dir=${profDir}`, 'run', process.env.PROFILE_ENTRY ?? 'adapters/bun.ts']]
  return [process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, 'bin/clerk-proxy.js']]
}

/** Self time per call frame and per package from a V8 .cpuprofile. */
export function summarizeProfile(profile) {
  const dt = new Map()
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0))
  const total = [...dt.values()].reduce((a, b) => a + b, 0)
  const byFn = new Map()
  const byPkg = new Map()
  for (const node of profile.nodes) {
    const t = dt.get(node.id) ?? 0
    if (!t) continue
    const f = node.callFrame
    const where = f.url.replace(/^file:\/\//, '').replace(root, '.')
    const key = `${f.functionName || '(anonymous)'}  ${where.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`
    byFn.set(key, (byFn.get(key) ?? 0) + t)
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith('node:') ? 'node core' : where.startsWith('./dist') ? 'ours (dist)' : f.url === '' ? `(${f.functionName})` : 'other')
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t)
  }
  const top = (map, n) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
  return { byPackage: top(byPkg, 15), byFunction: top(byFn, 30) }
}

async function main() {
  ensureTools()
  const work = mkdtempSync(join(tmpdir(), 'clerk-proxy-profile-'))
  const profDir = join(work, 'prof')
  mkdirSync(join(work, 'www/v1'), { recursive: true })
  copyFileSync(join(here, 'fixtures/environment.json'), join(work, 'www/v1/environment'))
  const sink = await startUploadSink(await freePort())
  const upstreamPort = await freePort()
  const upstream = await startUpstreamNginx({ dir: join(work, 'upstream'), port: upstreamPort, wwwDir: join(work, 'www'), sinkPort: 1 })
  const port = await freePort()
  const proxy = startProcess(...profiledCommand(profDir), {
    cwd: root,
    role: 'proxy',
    env: { PORT: String(port), HOST: '127.0.0.1', CLERK_SECRET_KEY: SECRET_KEY, CLERK_PUBLISHABLE_KEY: PUBLISHABLE_KEY, CLERK_FAPI_URL: `http://127.0.0.1:${upstreamPort}`, CLERK_PROXY_LOG: 'off', CLERK_PROXY_MAX_BODY: '0' },
  })
  try {
    const url = `http://127.0.0.1:${port}/__clerk/v1/environment`
    await waitForHttp(url, { alive: () => !proxy.exited(), describe: proxy.output })
    await runWrk({ url, connections, seconds: 2 })
    const result = await runWrk({ url, connections, seconds })
    process.stdout.write(`under profile: ${Math.round(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms (c=${connections})\n`)
  } finally {
    await proxy.stop()
    await upstream.stop()
    await sink.close()
  }
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) throw new Error('no profile written')
  const raw = readFileSync(join(profDir, file), 'utf8')
  const out = join(here, `${runtime}.cpuprofile`)
  writeFileSync(out, raw)
  const summary = summarizeProfile(JSON.parse(raw))
  process.stdout.write(`\nself time by package:\n${summary.byPackage.join('\n')}\n\nself time by function (top 30):\n${summary.byFunction.join('\n')}\n\nfull profile: bench/${runtime}.cpuprofile (open in Chrome DevTools)\n`)
  rmSync(work, { recursive: true, force: true })
}

await main()
