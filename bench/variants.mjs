// `node bench/variants.mjs ENTRY…`: A/B comparison of Bun or Deno server entries (files that
// start a proxy reading PORT, HOST, CLERK_*) against the bench's nginx upstream, alternating
// the entries round by round; prints req/s and the proxy's CPU µs per request for each round,
// then the medians and each entry's median req/s as a ratio to every other entry's (same run).
// An entry is `bun:path`, `deno:path` or `clerk-bun` (Clerk's helper on Bun), optionally followed
// by `#NAME=value&NAME=value` for environment of its own (`bun:adapters/bun.ts#CLERK_PROXY_LOG=json`).
// Settings: VARIANT_SECONDS (4), VARIANT_ROUNDS (3), VARIANT_CONNECTIONS (32; a list such as
// `32,256` runs every round at each), VARIANT_PATH (/__clerk/v1/environment). VARIANT_UPLOAD_MIB=N
// measures uploads instead: each round POSTs N MiB with a Content-Length through each entry to
// a sink behind the upstream, and prints MiB/s and the proxy's CPU ms per MiB.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PUBLISHABLE_KEY, SECRET_KEY } from './lib/contenders.mjs'
import { startUpstreamNginx } from './lib/nginx.mjs'
import { request } from 'node:http'
import { freePort, procCpuSeconds, startProcess, waitForHttp } from './lib/processes.mjs'
import { startUploadSink } from './lib/sink.mjs'
import { ensureTools } from './lib/tools.mjs'
import { runWrk } from './lib/wrk.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
const seconds = Number(process.env.VARIANT_SECONDS ?? 4)
const rounds = Number(process.env.VARIANT_ROUNDS ?? 3)
const connectionCounts = String(process.env.VARIANT_CONNECTIONS ?? 32).split(',').map(Number)
const path = process.env.VARIANT_PATH ?? '/__clerk/v1/environment'
const uploadMiB = Number(process.env.VARIANT_UPLOAD_MIB ?? 0)

/** POSTs `mib` MiB with a declared length, 1 MiB per write; resolves with the bytes the sink reported. */
function upload(url, mib) {
  const chunk = Buffer.alloc(2 ** 20, 120)
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(mib * 2 ** 20) } }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body).bytes) : reject(new Error(`upload answered ${res.statusCode}: ${body}`))))
    })
    req.on('error', reject)
    let sent = 0
    const more = () => {
      while (sent < mib) {
        sent++
        if (!req.write(chunk)) return void req.once('drain', more)
      }
      req.end()
    }
    more()
  })
}

async function uploadRounds(running) {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < running.length; i++) {
      const r = running[(i + round) % running.length]
      const cpu0 = procCpuSeconds(r.proc.pid)
      const started = performance.now()
      const bytes = await upload(r.url.replace(path, '/__clerk/bench/upload'), uploadMiB)
      const secs = (performance.now() - started) / 1000
      if (bytes !== uploadMiB * 2 ** 20) throw new Error(`${r.entry}: the sink got ${bytes} bytes`)
      r.uploads.push({ mibps: uploadMiB / secs, cpuMsPerMiB: ((procCpuSeconds(r.proc.pid) - cpu0) * 1000) / uploadMiB })
    }
  }
  process.stdout.write(`\nuploads of ${uploadMiB} MiB, ${rounds} rounds (MiB/s, proxy CPU ms per MiB)\n`)
  for (const r of running) {
    const rows = r.uploads.map((x) => `${x.mibps.toFixed(0)} MiB/s ${x.cpuMsPerMiB.toFixed(1)} ms`).join(' | ')
    process.stdout.write(`${r.entry.padEnd(40)} ${rows}  median ${median(r.uploads.map((x) => x.mibps)).toFixed(0)} MiB/s ${median(r.uploads.map((x) => x.cpuMsPerMiB)).toFixed(1)} ms/MiB\n`)
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function command(spec) {
  const entry = spec.split('#')[0]
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
  const sinkPort = await freePort()
  const sink = await startUploadSink(sinkPort)
  const upstream = await startUpstreamNginx({ dir: join(work, 'upstream'), port: upstreamPort, wwwDir: join(work, 'www'), sinkPort })
  const running = []
  try {
    for (const entry of entries) {
      const port = await freePort()
      const [cmd, args] = command(entry)
      const own = Object.fromEntries(new URLSearchParams(entry.split('#')[1] ?? ''))
      const proc = startProcess(cmd, args, {
        cwd: root,
        role: 'proxy',
        env: {
          PORT: String(port), HOST: '127.0.0.1', CLERK_SECRET_KEY: SECRET_KEY, CLERK_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
          CLERK_FAPI_URL: `http://127.0.0.1:${upstreamPort}`, CLERK_PROXY_LOG: 'off', CLERK_PROXY_MAX_BODY: '0', NODE_ENV: 'production',
          DENO_DIR: join(root, '.deno'), DENO_NO_UPDATE_CHECK: '1', ...own,
        },
      })
      const url = `http://127.0.0.1:${port}${path}`
      running.push({ entry, proc, url, uploads: [], results: new Map(connectionCounts.map((c) => [c, []])) })
      await waitForHttp(url, { alive: () => !proc.exited(), describe: proc.output })
      await runWrk({ url, connections: connectionCounts[0], seconds: 2 })
    }
    if (uploadMiB > 0) return await uploadRounds(running)
    for (let round = 0; round < rounds; round++) {
      for (const connections of connectionCounts) {
        for (let i = 0; i < running.length; i++) {
          const r = running[(i + round) % running.length]
          const cpu0 = procCpuSeconds(r.proc.pid)
          const result = await runWrk({ url: r.url, connections, seconds })
          const cpu = procCpuSeconds(r.proc.pid) - cpu0
          r.results.get(connections).push({ rps: result.rps, p99: result.p99, us: (cpu / (result.rps * seconds)) * 1e6, failed: result.errors + result.non2xx })
        }
      }
    }
    for (const connections of connectionCounts) {
      process.stdout.write(`\nc=${connections}, ${rounds} rounds of ${seconds} s (req/s, CPU µs per request, p99 ms)\n`)
      const medians = running.map((r) => ({ entry: r.entry, rps: median(r.results.get(connections).map((x) => x.rps)), us: median(r.results.get(connections).map((x) => x.us)) }))
      for (const r of running) {
        const rows = r.results.get(connections)
        const fmt = rows.map((x) => `${Math.round(x.rps)} req/s ${Math.round(x.us)} µs p99 ${x.p99}${x.failed ? ` FAILED ${x.failed}` : ''}`).join(' | ')
        process.stdout.write(`${r.entry.padEnd(40)} ${fmt}\n`)
      }
      process.stdout.write('medians:\n')
      for (const m of medians) {
        // Every pair for a short list; against the first entry (the reference) for a long one.
        const others = medians.length <= 3 ? medians.filter((o) => o !== m) : m === medians[0] ? [] : [medians[0]]
        const ratios = others.map((o) => `${(m.rps / o.rps).toFixed(2)}× ${o.entry}`).join(', ')
        process.stdout.write(`${m.entry.padEnd(40)} ${Math.round(m.rps)} req/s ${Math.round(m.us)} µs  ${ratios}\n`)
      }
    }
  } finally {
    for (const r of running) await r.proc.stop()
    await upstream.stop()
    await sink.close()
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
