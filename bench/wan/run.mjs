// `npm run bench:wan`: every Clerk Frontend API proxy measured over a simulated network link to
// an HTTPS, Cloudflare-like stand-in for FAPI, in round trips. A full run takes ≈ 13 min (the
// idle gaps, 2.5 min per RTT, are waited once for all contenders). Flags (after `--`):
//   --quick                 RTT 40 ms, gap 3 s, short upstream-close variant, fewer samples (≈ 1 min)
//   --rtt 10,40,100         RTTs in ms (default 10,40,100)
//   --contenders a,b        ids: direct, ours-node, ours-bun, ours-deno, clerk-node, clerk-bun,
//                           nginx-guide, nginx-tuned (default all)
//   --scenarios a,b         cold, warm, burst, sustained, idle, upstream-close (default all)
//   --gaps 3,35,95          idle gaps in seconds
//   --rounds N              run everything N times (fresh processes each round); each cell is
//                           the round with the median figure (default 1)
//   --rate BYTES_PER_S      cap the link's rate per direction and connection
//   --record FILE           write the raw results to FILE only (e.g. a "before" run)
//   --before FILE           a recorded run to show beside this one (default bench/wan-before.json)
//   --tls-log FILE          save the stand-in's log of every TLS connection
//   --no-write              print only
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { describeMachine } from '../lib/machine.mjs'
import { CPU_SETS, favour, freePort } from '../lib/processes.mjs'
import { ensureTools } from '../lib/tools.mjs'
import { makeCertificate } from './certificate.mjs'
import { directClient, proxyClient, warmClients } from './clients.mjs'
import { WAN_CONTENDERS } from './contenders.mjs'
import { CLOUDFLARE_IDLE_MS, startStandInProcess } from './fapi-stand-in.mjs'
import { startRelayProcess } from './relay.mjs'
import { wanChart, wanMarkdown } from './report.mjs'
import { afterIdle, burst, cold, connectionMeter, sustained, warm } from './scenarios.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const bench = dirname(here)
const root = dirname(bench)
const log = (line) => process.stdout.write(`${line}\n`)
const list = (value, map = String) => value.split(',').filter(Boolean).map(map)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rtt: { type: 'string' },
    contenders: { type: 'string' },
    scenarios: { type: 'string' },
    gaps: { type: 'string' },
    rounds: { type: 'string' },
    rate: { type: 'string' },
    record: { type: 'string' },
    before: { type: 'string' },
    'tls-log': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
})
const quick = flags.quick
const settings = {
  quick,
  rtts: list(flags.rtt ?? (quick ? '40' : '10,40,100'), Number),
  scenarios: new Set(list(flags.scenarios ?? 'cold,warm,burst,sustained,idle,upstream-close')),
  gapsSeconds: list(flags.gaps ?? (quick ? '3' : '3,35,95'), Number),
  bytesPerSecond: flags.rate ? Number(flags.rate) : undefined,
  rounds: Number(flags.rounds ?? 1),
  warmRequests: quick ? 20 : 60,
  sustained: { concurrency: 32, seconds: quick ? 2 : 5, warmSeconds: 1 },
  // The stand-in's idle close, shortened so the run stays short; the gap outlasts it by 5 s,
  // time enough for a pool that reconnects ahead of need to have done so.
  upstreamIdleMs: quick ? 5_000 : 10_000,
  settleMs: 1_000,
}
if (!(Number.isInteger(settings.rounds) && settings.rounds >= 1)) throw new Error(`--rounds: ${flags.rounds} is not a whole number ≥ 1`)
for (const rtt of settings.rtts) if (!(rtt >= 5)) throw new Error(`--rtt: ${rtt} is below 5 ms, where timer slack (≈1 ms) dominates`)
const ids = flags.contenders ? new Set(list(flags.contenders)) : undefined
// BENCH_FAVOUR=0 leaves every process at its normal priority (see `favour`).
const favoured = process.env.BENCH_FAVOUR !== '0'
const prepare = (role) => (pid) => {
  if (role && CPU_SETS) spawnSync('taskset', ['-apc', CPU_SETS[role], String(pid)], { stdio: 'ignore' })
  if (favoured) favour(pid)
}

async function main() {
  ensureTools()
  if (favoured) favour(process.pid)
  const machine = describeMachine(root)
  const startedAt = new Date()
  log(`machine: ${machine.nproc} × ${machine.cpu}; node ${machine.node}, bun ${machine.bun}, ${machine.deno}; nginx ${machine.nginx}; load ${machine.loadAverage}`)
  const work = mkdtempSync(join(tmpdir(), 'clerk-proxy-bench-wan-'))
  const expectedBody = readFileSync(join(bench, 'fixtures/environment.json'), 'utf8')
  const contenders = WAN_CONTENDERS.filter((c) => !ids || ids.has(c.id))
  const skipped = []
  const available = contenders.filter((c) => {
    const why = c.unavailable(root)
    if (why) skipped.push(`${c.label}: ${why}`)
    return !why
  })
  const withDirect = !ids || ids.has('direct')
  const slots = [...(withDirect ? [{ id: 'direct', label: 'direct client (no proxy, HTTP/2)', kind: 'direct', trust: 'ca option' }] : []), ...available]
  const certificate = makeCertificate(join(work, 'certificate'))
  // The relay alone is pinned (to the CPU away from the proxies): its timers are the link.
  const standIn = await startStandInProcess({ cert: certificate.cert, key: certificate.key, ports: slots.length, body: expectedBody }, { pin: prepare(undefined) })
  const meter = connectionMeter(standIn)
  await warmClients(certificate, expectedBody)
  const byRtt = {}
  try {
    for (const rtt of settings.rtts) {
      log(`\n== RTT ${rtt} ms ==`)
      const rounds = []
      for (let round = 1; round <= settings.rounds; round++) {
        if (settings.rounds > 1) log(`-- round ${round} of ${settings.rounds}`)
        rounds.push(await runAtRtt(rtt, slots, { standIn, meter, certificate, work, expectedBody }))
      }
      byRtt[rtt] = medianRound(rounds)
    }
  } finally {
    await standIn.stop()
    rmSync(work, { recursive: true, force: true })
  }
  const tlsLog = standIn.log()
  if (flags['tls-log']) writeFileSync(resolve(flags['tls-log']), tlsLog)
  const report = {
    machine,
    loadAfter: describeMachine(root).loadAverage,
    startedAt,
    finishedAt: new Date(),
    command: commandLine(),
    settings: { ...settings, scenarios: [...settings.scenarios] },
    cpuSets: CPU_SETS,
    targets: slots.map(({ id, label, kind, trust }) => ({ id, label, kind, trust })),
    skipped,
    byRtt,
    tlsConnections: tlsLog.split('\n').filter(Boolean).length,
  }
  if (flags.record) {
    writeFileSync(resolve(flags.record), JSON.stringify(report, null, 2) + '\n')
    log(`wrote ${flags.record}`)
    return
  }
  const beforeFile = resolve(flags.before ?? join(bench, 'wan-before.json'))
  const before = existsSync(beforeFile) ? JSON.parse(readFileSync(beforeFile, 'utf8')) : undefined
  const markdown = wanMarkdown(report, before)
  log(`\n${markdown}`)
  if (!flags['no-write']) {
    writeFileSync(join(bench, 'WAN.md'), markdown)
    writeFileSync(join(bench, 'wan-results.json'), JSON.stringify(report, null, 2) + '\n')
    writeFileSync(join(bench, 'wan-chart.svg'), wanChart(report))
    log('wrote bench/WAN.md, bench/wan-results.json, bench/wan-chart.svg')
  }
}

async function runAtRtt(rtt, slots, { standIn, meter, certificate, work, expectedBody }) {
  const relay = await startRelayProcess(standIn.ports, { rttMs: rtt, bytesPerSecond: settings.bytesPerSecond }, { pin: prepare('load') })
  const running = []
  const out = {}
  try {
    for (const [i, slot] of slots.entries()) {
      const target = { id: slot.id, label: slot.label, standInPort: standIn.ports[i] }
      if (slot.id === 'direct') {
        running.push({ ...target, client: directClient(relay.ports[i], certificate.ca, expectedBody), stop: async () => {} })
        continue
      }
      const port = await freePort()
      const tmpDir = join(work, `${slot.id}-${rtt}`)
      mkdirSync(tmpDir, { recursive: true })
      try {
        const proc = await slot.start({ root, port, fapiPort: relay.ports[i], caFile: certificate.caFile, tmpDir })
        if (favoured) favour(proc.pid)
        running.push({ ...target, client: proxyClient(port, expectedBody), stop: () => proc.stop() })
      } catch (error) {
        log(`! ${slot.label} did not start: ${String(error.message).split('\n')[0]}`)
      }
    }
    await sleep(settings.settleMs)
    const scenario = async (name, enabled, run) => {
      if (!enabled) return
      out[name] = Object.fromEntries(await run())
      log(`  ${name}: ${Object.entries(out[name]).map(([id, r]) => `${id} ${summary(r, rtt)}`).join(' | ')}`)
    }
    const has = (name) => settings.scenarios.has(name)
    const stagger = Math.max(400, 6 * rtt)
    await scenario('cold', has('cold'), () => cold(running, meter))
    await scenario('warm', has('warm'), () => warm(running, meter, settings.warmRequests))
    await scenario('burst4', has('burst'), () => burst(running, meter, 4))
    await sleep(has('burst') ? 1000 : 0)
    await scenario('burst16', has('burst'), () => burst(running, meter, 16))
    await scenario('c32', has('sustained'), () => sustained(running, meter, settings.sustained))
    for (const gap of has('idle') ? settings.gapsSeconds : []) await scenario(`idle${gap}`, true, () => afterIdle(running, meter, gap * 1000, stagger))
    if (has('upstream-close')) {
      await standIn.setIdle(settings.upstreamIdleMs)
      try {
        await scenario('upstreamClose', true, () => afterIdle(running, meter, settings.upstreamIdleMs + 5_000, stagger))
      } finally {
        await standIn.setIdle(CLOUDFLARE_IDLE_MS)
      }
    }
    return out
  } finally {
    for (const r of running) {
      await r.client.close()
      await r.stop()
    }
    await relay.stop()
  }
}

/** The figure a scenario's result is judged by. */
const headline = (result) => result.ms ?? result.slowest ?? result.median ?? result.p99

/**
 * One result per scenario and target out of several rounds: the round whose figure is the
 * median (the lower one of an even count), kept whole so its connection counts still match.
 */
function medianRound(rounds) {
  if (rounds.length === 1) return rounds[0]
  const out = {}
  for (const scenario of Object.keys(rounds[0])) {
    out[scenario] = {}
    for (const id of Object.keys(rounds[0][scenario])) {
      const all = rounds.map((r) => r[scenario]?.[id]).filter((r) => r && !r.error)
      if (!all.length) {
        out[scenario][id] = rounds[0][scenario][id]
        continue
      }
      const sorted = [...all].sort((a, b) => headline(a) - headline(b))
      out[scenario][id] = { ...sorted[(sorted.length - 1) >> 1], rounds: all.map(headline) }
    }
  }
  return out
}

function summary(result, rtt) {
  if (result.error) return `error (${result.error})`
  const ms = headline(result)
  return `${(ms / rtt).toFixed(2)} RTT${result.opened ? ` +${result.opened.count}` : ''}`
}

function commandLine() {
  const args = process.argv.slice(2)
  return `npm run bench:wan${args.length ? ` -- ${args.join(' ')}` : ''}`
}

await main()
