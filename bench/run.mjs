// `npm run bench`: every Clerk Frontend API proxy side by side against one nginx upstream.
// Settings (environment): BENCH_SECONDS (5) per wrk run, BENCH_ROUNDS (3), BENCH_CONNECTIONS
// ("32,256"), BENCH_ONLY (comma-separated contender ids), BENCH_TRANSPORTS=0 to skip the
// transport comparison, BENCH_MEMORY=0 to skip the 256 MiB streams, BENCH_WRITE=0 to only print,
// BENCH_PIN=0 to leave every process free to run on any CPU.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, closeSync, openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { renderChart } from './lib/chart.mjs'
import { CONTENDERS, SECRET_KEY } from './lib/contenders.mjs'
import { describeMachine } from './lib/machine.mjs'
import { startUpstreamNginx } from './lib/nginx.mjs'
import { CPU_SETS, freePort, procCpuSeconds, procMemory } from './lib/processes.mjs'
import { loadTable, memoryTable, targetChecks, targetTable, transportTable, wireTable } from './lib/report.mjs'
import { startUploadSink } from './lib/sink.mjs'
import { rotate, summarize } from './lib/stats.mjs'
import { ensureTools } from './lib/tools.mjs'
import { assetOnTheWire, streamDownload, streamUpload } from './lib/transfer.mjs'
import { compareTransports } from './lib/transports.mjs'
import { runWrk, WRK_THREADS } from './lib/wrk.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
const env = process.env
const seconds = Number(env.BENCH_SECONDS ?? 5)
const rounds = Number(env.BENCH_ROUNDS ?? 3)
const connections = (env.BENCH_CONNECTIONS ?? '32,256').split(',').map(Number)
const only = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',')) : undefined
const STREAM_BYTES = 256 * 1024 * 1024
const ASSET_PATH = '/npm/@clerk/clerk-js@6/dist/clerk.js'
const log = (line) => process.stdout.write(`${line}\n`)
const startedAt = new Date()

/** The upstream's files: the JSON, the asset (+ its .gz) and a sparse 256 MiB download. */
function prepareUpstreamFiles(www) {
  mkdirSync(join(www, 'v1'), { recursive: true })
  copyFileSync(join(here, 'fixtures/environment.json'), join(www, 'v1/environment'))
  const asset = join(www, ASSET_PATH)
  mkdirSync(dirname(asset), { recursive: true })
  const real = join(root, 'node_modules/@clerk/clerk-js/dist/clerk.js')
  if (!existsSync(real)) throw new Error('node_modules/@clerk/clerk-js/dist/clerk.js is missing: run npm install first')
  copyFileSync(real, asset)
  // What a CDN stores: gzip level 6, served by gzip_static when the client accepts gzip.
  writeFileSync(`${asset}.gz`, gzipSync(readFileSync(asset), { level: 6 }))
  mkdirSync(join(www, 'bench'), { recursive: true })
  closeSync(openSync(join(www, 'bench/download'), 'w'))
  truncateSync(join(www, 'bench/download'), STREAM_BYTES)
  return { assetBytes: readFileSync(asset).length }
}

async function startContender(contender, ctx) {
  const port = await freePort()
  const tmpDir = join(ctx.work, contender.id)
  mkdirSync(tmpDir, { recursive: true })
  const proc = await contender.start({ root, port, upstreamPort: ctx.upstreamPort, tmpDir })
  return { ...contender, port, proc, base: `http://127.0.0.1:${port}/__clerk` }
}

/** The proxied JSON must be byte-identical to the upstream's: a fast wrong answer is no answer. */
async function checkAnswers(running, expected) {
  const ok = []
  for (const r of running) {
    const res = await fetch(`${r.base}/v1/environment`)
    const body = await res.text()
    if (res.status === 200 && body === expected) ok.push(r)
    else {
      log(`! ${r.label} answered ${res.status} with a different body; left out`)
      await r.proc.stop()
    }
  }
  return ok
}

async function loadPhase(running) {
  for (const r of running) await runWrk({ url: r.url, connections: 32, seconds: 2 })
  const runs = new Map()
  for (let round = 0; round < rounds; round++) {
    for (const c of connections) {
      for (const r of rotate(running, round)) {
        const cpuBefore = procCpuSeconds(r.pid)
        const result = await runWrk({ url: r.url, connections: c, seconds })
        const cpuAfter = procCpuSeconds(r.pid)
        result.cpuUsPerRequest = cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1e6) / result.requests
        log(`  ${r.label.padEnd(26)} c=${String(c).padStart(3)} round ${round + 1}: ${Math.round(result.rps).toString().padStart(6)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  cpu ${result.cpuUsPerRequest?.toFixed(0) ?? '?'} µs/req${result.errors || result.non2xx ? `  errors ${result.errors} non-2xx ${result.non2xx}` : ''}`)
        const key = `${r.id}@${c}`
        runs.set(key, [...(runs.get(key) ?? []), result])
      }
    }
  }
  return running.map((r) => ({
    id: r.id,
    label: r.label,
    runtime: r.runtime,
    kind: r.kind,
    byConnections: Object.fromEntries(connections.map((c) => [c, summarize(runs.get(`${r.id}@${c}`))])),
  }))
}

async function memoryPhase(available, ctx, sink) {
  const out = []
  for (const contender of available) {
    let running
    try {
      running = await startContender(contender, ctx)
      // Warm it the way the load phase did, then let it settle before the baseline.
      await runWrk({ url: `${running.base}/v1/environment`, connections: 8, seconds: 1 })
      await new Promise((r) => setTimeout(r, 500))
      const download = await streamDownload(`${running.base}/bench/download`, running.proc.pid)
      await new Promise((r) => setTimeout(r, 300))
      const upload = await streamUpload(`${running.base}/bench/upload`, STREAM_BYTES, running.proc.pid)
      const hwm = procMemory(running.proc.pid, 'VmHWM')
      out.push({ id: contender.id, label: contender.label, kind: contender.kind, download, upload, hwm, expected: STREAM_BYTES })
      log(`  ${contender.label.padEnd(26)} download +${(download.growth / 2 ** 20).toFixed(1)} MiB (${download.bytes} B), upload +${(upload.growth / 2 ** 20).toFixed(1)} MiB (sink got ${upload.bytes} B)`)
    } catch (error) {
      out.push({ id: contender.id, label: contender.label, kind: contender.kind, error: String(error.message ?? error).split('\n')[0] })
      log(`  ${contender.label}: ${error.message}`)
    } finally {
      await running?.proc.stop()
    }
  }
  void sink
  return out
}

async function main() {
  ensureTools()
  // This process hosts the upload sink: it belongs with the load, away from the proxy's CPU.
  if (CPU_SETS) spawnSync('taskset', ['-pc', CPU_SETS.load, String(process.pid)], { stdio: 'ignore' })
  const machine = describeMachine(root)
  log(`machine: ${machine.nproc} × ${machine.cpu}, ${machine.os}; node ${machine.node}, bun ${machine.bun}, ${machine.deno}; nginx ${machine.nginx}; ${machine.wrk}; load ${machine.loadAverage}`)
  const work = mkdtempSync(join(tmpdir(), 'clerk-proxy-bench-'))
  const cleanups = []
  try {
    const www = join(work, 'www')
    const { assetBytes } = prepareUpstreamFiles(www)
    const sinkPort = await freePort()
    const sink = await startUploadSink(sinkPort)
    cleanups.push(() => sink.close())
    const upstreamPort = await freePort()
    const upstream = await startUpstreamNginx({ dir: join(work, 'upstream'), port: upstreamPort, wwwDir: www, sinkPort })
    cleanups.push(() => upstream.stop())
    const ctx = { work, upstreamPort }
    const expectedJson = readFileSync(join(here, 'fixtures/environment.json'), 'utf8')

    const selected = CONTENDERS.filter((c) => !only || only.has(c.id))
    const available = []
    for (const c of selected) {
      const why = c.unavailable(root)
      if (why) log(`- ${c.label}: ${why}, skipped`)
      else available.push(c)
    }

    log(`\nstarting ${available.length} contenders…`)
    let running = []
    for (const c of available) {
      try {
        running.push(await startContender(c, ctx))
      } catch (error) {
        log(`! ${c.label} did not start: ${error.message.split('\n')[0]}`)
      }
    }
    cleanups.push(() => Promise.all(running.map((r) => r.proc.stop())))
    running = await checkAnswers(running, expectedJson)

    log('\nasset bytes on the wire (Accept-Encoding: gzip, br)…')
    const upstreamAsset = await assetOnTheWire(`http://127.0.0.1:${upstreamPort}${ASSET_PATH}`)
    const wire = [{ label: 'upstream (nginx, gzip_static)', kind: 'upstream', ...upstreamAsset }]
    for (const r of running) wire.push({ label: r.label, kind: r.kind, ...(await assetOnTheWire(`${r.base}${ASSET_PATH}`)) })
    for (const w of wire) log(`  ${w.label.padEnd(30)} ${w.status} ${w.encoding.padEnd(8)} ${w.bytes} B`)

    log(`\nload: ${rounds} rounds × ${connections.join(' and ')} connections × ${seconds} s, contenders alternating…`)
    const targets = [
      ...running.map((r) => ({ ...r, pid: r.proc.pid, url: `${r.base}/v1/environment` })),
      { id: 'upstream', label: 'no proxy (upstream nginx)', runtime: 'nginx', kind: 'upstream', pid: upstream.pid, url: `http://127.0.0.1:${upstreamPort}/v1/environment` },
    ]
    const results = await loadPhase(targets)
    await Promise.all(running.map((r) => r.proc.stop()))

    let transports
    if (env.BENCH_TRANSPORTS !== '0' && existsSync(join(root, 'dist/src/headers.js'))) {
      log('\ntransports: the same bare Node proxy with each upstream transport…')
      transports = await compareTransports({ root, upstreamPort, secretKey: SECRET_KEY, seconds, rounds: Math.min(rounds, 2), connections, log })
    }

    let memory = []
    if (env.BENCH_MEMORY !== '0') {
      log('\nmemory: 256 MiB download and 256 MiB upload through each proxy (fresh process each)…')
      memory = await memoryPhase(running, ctx, sink)
    }

    const machineAfter = describeMachine(root)
    const report = {
      machine,
      loadAfter: machineAfter.loadAverage,
      startedAt,
      finishedAt: new Date(),
      results,
      wire,
      upstreamCompressed: upstreamAsset.bytes,
      assetBytes,
      memory,
      transports,
      skipped: selected.filter((c) => c.unavailable(root)).map((c) => `${c.label}: ${c.unavailable(root)}`),
    }
    const markdown = resultsMarkdown(report)
    log(`\n${markdown}`)
    if (env.BENCH_WRITE !== '0') {
      writeFileSync(join(here, 'RESULTS.md'), markdown)
      writeFileSync(join(here, 'results.json'), JSON.stringify(report, null, 2) + '\n')
      writeFileSync(
        join(here, 'chart.svg'),
        renderChart(results, {
          title: 'Clerk Frontend API proxies: GET /v1/environment through each, nginx upstream',
          subtitle: `${machine.nproc} × ${machine.cpu} · wrk ${seconds} s × ${rounds} rounds, median · ${startedAt.toISOString().slice(0, 10)}`,
          connections,
        }),
      )
      log('wrote bench/RESULTS.md, bench/results.json, bench/chart.svg')
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup()
    rmSync(work, { recursive: true, force: true })
  }
}

function commandLine() {
  const set = ['BENCH_SECONDS', 'BENCH_ROUNDS', 'BENCH_CONNECTIONS', 'BENCH_ONLY', 'BENCH_TRANSPORTS', 'BENCH_MEMORY', 'BENCH_PIN'].filter((k) => env[k] !== undefined)
  return [...set.map((k) => `${k}=${env[k]}`), 'npm run bench'].join(' ')
}

function resultsMarkdown(r) {
  const m = r.machine
  const checks = targetChecks({ results: r.results, connections, wire: r.wire, upstreamBytes: r.upstreamCompressed, memory: r.memory })
  const parts = [
    '# Benchmark results',
    '',
    `Generated by \`${commandLine()}\` (bench/run.mjs) on ${r.startedAt.toISOString()}, ${((r.finishedAt - r.startedAt) / 1000).toFixed(0)} s.`,
    '',
    `- Machine: ${m.nproc} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}; load average ${m.loadAverage} at start, ${r.loadAfter} at the end (other work shared these cores: read ratios, not absolutes).`,
    `- Runtimes: Node ${m.node}, Bun ${m.bun}, ${m.deno.replace(/\s*\(.*$/, '')}, nginx ${m.nginx}, ${m.wrk}.`,
    `- Upstream: nginx (1 worker) serving a ${readFileSync(join(here, 'fixtures/environment.json')).length} B \`/v1/environment\` JSON and \`@clerk/clerk-js/dist/clerk.js\` (${r.assetBytes.toLocaleString('en-US')} B, ${r.upstreamCompressed.toLocaleString('en-US')} B gzipped).`,
    `- Load: \`wrk -t${WRK_THREADS} -cN -d${seconds}s --latency --timeout 30s\` on \`GET /__clerk/v1/environment\`, ${rounds} rounds, contenders alternating (each round starts with a different one), after a 2 s warm-up; median of the rounds, min–max shown.`,
    `- Contenders: ours on Node = \`node bin/clerk-proxy.js\` (CLERK_PROXY_LOG=off); Clerk's helper = \`clerkFrontendApiProxy\` from \`@clerk/backend/proxy\` in a minimal Hono app (bench/contenders/clerk-helper.mjs) on @hono/node-server or Bun.serve; nginx = Clerk's guide (rewrite + proxy_pass + the three proxy_set_header lines) plus upstream keep-alive, 1 worker, \`master_process off\`.`,
    CPU_SETS
      ? `- CPUs (taskset): the proxy under test alone on CPU ${CPU_SETS.proxy}; wrk, the upstream nginx and the upload sink on CPU ${CPU_SETS.load}, so a fast proxy does not lose CPU to the load it drives (BENCH_PIN=0 turns this off).`
      : '- CPUs: not pinned.',
    ...(r.skipped.length ? [`- Not measured: ${r.skipped.join('; ')}.`] : []),
    '',
    '## Targets',
    '',
    targetTable(checks),
    '',
    '## Throughput and latency',
    '',
    loadTable(r.results, connections),
    '',
    '![throughput and p99](chart.svg)',
    '',
    '## The asset on the wire',
    '',
    '`GET /__clerk/npm/@clerk/clerk-js@6/dist/clerk.js` with `Accept-Encoding: gzip, br`; body bytes as received (undecoded).',
    '',
    wireTable(r.wire, r.upstreamCompressed),
    '',
    '## Memory while 256 MiB stream through',
    '',
    "A fresh process per contender, warmed with 1 s of load; VmRSS of the proxy process sampled every 10 ms from /proc while a 256 MiB download (nginx serving a file) and then a 256 MiB upload (streamed through nginx to a sink that counts the bytes) pass through it. Growth = peak − RSS just before the transfer.",
    '',
    r.memory.length ? memoryTable(r.memory) : '_skipped_',
    '',
  ]
  if (r.transports) {
    parts.push(
      '## Which transport: the same bare Node proxy, four ways upstream',
      '',
      'bench/contenders/bare-transport.mjs: a `node:http` server, the package\'s own `upstreamRequestHeaderList`, and only the upstream transport changing. Same upstream and wrk settings as above, alternating, median of the rounds.',
      '',
      transportTable(r.transports, connections),
      '',
    )
  }
  parts.push('See bench/PROFILE.md for the profile of the Node path and what was changed because of it.', '')
  return parts.join('\n')
}

await main()
