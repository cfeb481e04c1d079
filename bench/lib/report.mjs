// The printed table and bench/RESULTS.md.

const MiB = 1024 * 1024
const n0 = (n) => Math.round(n).toLocaleString('en-US')
const ms = (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2))
const x = (n) => (n === undefined || !Number.isFinite(n) ? '–' : `${n.toFixed(2)}×`)
const mib = (n) => (n === undefined ? '–' : (n / MiB).toFixed(1))

/** A Markdown table from a header row and rows. */
export function markdownTable(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

/**
 * Ratios each contender earns: throughput against Clerk's helper on the same runtime and
 * against nginx, and p99 against the helper's p99.
 */
export function ratios(results, connections) {
  const byId = new Map(results.map((r) => [r.id, r]))
  const nginx = byId.get('nginx')
  return results.map((r) => {
    const helper = byId.get(`clerk-${r.runtime}`)
    const out = {}
    for (const c of connections) {
      const mine = r.byConnections[c]
      const theirs = helper && helper !== r ? helper.byConnections[c] : undefined
      out[c] = {
        vsHelper: theirs ? mine.rps / theirs.rps : undefined,
        p99VsHelper: theirs ? mine.p99 / theirs.p99 : undefined,
        vsNginx: nginx && nginx !== r ? mine.rps / nginx.byConnections[c].rps : undefined,
      }
    }
    return { id: r.id, byConnections: out }
  })
}

/** The load table (Markdown). */
export function loadTable(results, connections) {
  const rat = new Map(ratios(results, connections).map((r) => [r.id, r.byConnections]))
  const head = ['contender', 'conns', 'req/s (median)', 'req/s min–max', 'p50 ms', 'p99 ms', '× Clerk helper (same runtime)', 'p99 ÷ helper p99', '× nginx', 'proxy CPU µs/req', 'errors / non-2xx']
  const rows = []
  for (const r of results) {
    for (const c of connections) {
      const s = r.byConnections[c]
      const q = rat.get(r.id)?.[c] ?? {}
      rows.push([r.label, c, n0(s.rps), `${n0(s.rpsMin)}–${n0(s.rpsMax)}`, ms(s.p50), ms(s.p99), x(q.vsHelper), q.p99VsHelper === undefined ? '–' : q.p99VsHelper.toFixed(2), x(q.vsNginx), s.cpuUsPerRequest === undefined ? '–' : s.cpuUsPerRequest.toFixed(0), `${s.errors} / ${s.non2xx}`])
    }
  }
  return markdownTable(head, rows)
}

/** The asset table (Markdown). */
export function wireTable(wire, upstreamBytes) {
  const head = ['contender', 'status', 'Content-Encoding', 'bytes on the wire', '× upstream compressed']
  return markdownTable(
    head,
    wire.map((w) => [w.label, w.status, w.encoding, n0(w.bytes), x(w.bytes / upstreamBytes)]),
  )
}

/** The memory table (Markdown). */
export function memoryTable(memory) {
  const head = ['contender', 'RSS before (MiB)', 'download: peak RSS', 'growth', 'MiB/s', 'upload: peak RSS', 'growth', 'MiB/s', 'bytes checked']
  return markdownTable(
    head,
    memory.map((m) =>
      m.error
        ? [m.label, '–', '–', '–', '–', '–', '–', '–', `failed: ${m.error}`]
        : [
            m.label,
            mib(m.download.rssBefore),
            mib(m.download.rssPeak),
            mib(m.download.growth),
            (m.download.bytes / MiB / m.download.seconds).toFixed(0),
            mib(m.upload.rssPeak),
            mib(m.upload.growth),
            (m.upload.bytes / MiB / m.upload.seconds).toFixed(0),
            m.download.bytes === m.expected && m.upload.bytes === m.expected ? 'yes' : `no (down ${m.download.bytes}, up ${m.upload.bytes})`,
          ],
    ),
  )
}

/** The transport comparison table (Markdown). */
export function transportTable(transports, connections) {
  const best = Object.fromEntries(connections.map((c) => [c, Math.max(...transports.map((t) => t.byConnections[c].rps))]))
  const head = ['transport', 'conns', 'req/s (median)', 'req/s min–max', 'p50 ms', 'p99 ms', 'relative to fastest', 'proxy CPU µs/req']
  const rows = []
  for (const t of transports) {
    for (const c of connections) {
      const s = t.byConnections[c]
      rows.push([t.label, c, n0(s.rps), `${n0(s.rpsMin)}–${n0(s.rpsMax)}`, ms(s.p50), ms(s.p99), `${((s.rps / best[c]) * 100).toFixed(0)} %`, s.cpuUsPerRequest === undefined ? '–' : s.cpuUsPerRequest.toFixed(0)])
    }
  }
  return markdownTable(head, rows)
}

/** The targets, each with the measured figure and whether it is met. */
export function targetChecks({ results, connections, wire, upstreamBytes, memory }) {
  const checks = []
  const rat = new Map(ratios(results, connections).map((r) => [r.id, r.byConnections]))
  const add = (target, measured, met) => checks.push({ target, measured, met })
  for (const [id, runtime] of [['ours-node', 'Node'], ['ours-bun', 'Bun']]) {
    const q = rat.get(id)
    if (!q) {
      add(`${runtime}: throughput vs Clerk's helper`, 'not measured (contender not present)', undefined)
      continue
    }
    for (const c of connections) {
      const r = q[c]
      if (id === 'ours-node') {
        add(`Node ≥ 4× Clerk's helper throughput (c=${c})`, x(r.vsHelper), r.vsHelper >= 4)
        const mine = results.find((e) => e.id === id)?.byConnections[c]?.cpuUsPerRequest
        const theirs = results.find((e) => e.id === 'clerk-node')?.byConnections[c]?.cpuUsPerRequest
        if (mine && theirs) add(`(supporting) Node CPU per request vs the helper's (c=${c}), less disturbed by other load`, `${(theirs / mine).toFixed(2)}× less CPU`, undefined)
        add(`Node p99 ≤ ¼ of the helper's p99 (c=${c})`, r.p99VsHelper === undefined ? '–' : r.p99VsHelper.toFixed(2), r.p99VsHelper <= 0.25)
      } else {
        add(`Bun ≥ 1.2× Clerk's helper throughput (c=${c})`, x(r.vsHelper), r.vsHelper >= 1.2)
        add(`Bun ≥ 40 % of nginx (c=${c})`, r.vsNginx === undefined ? '–' : `${(r.vsNginx * 100).toFixed(0)} %`, r.vsNginx >= 0.4)
      }
    }
  }
  for (const m of memory.filter((m) => m.kind === 'ours')) {
    if (m.error) add(`${m.label}: RSS growth < 64 MiB streaming 256 MiB`, `failed: ${m.error}`, false)
    else {
      const worst = Math.max(m.download.growth, m.upload.growth)
      add(`${m.label}: RSS growth < 64 MiB streaming 256 MiB each way`, `${mib(m.download.growth)} MiB down, ${mib(m.upload.growth)} MiB up`, worst < 64 * MiB)
    }
  }
  for (const w of wire.filter((w) => w.kind === 'ours')) {
    add(`${w.label}: asset bytes ≤ 1.1× upstream compressed`, x(w.bytes / upstreamBytes), w.bytes <= 1.1 * upstreamBytes)
  }
  return checks
}

/** The targets table (Markdown). */
export function targetTable(checks) {
  return markdownTable(
    ['target', 'measured', 'met'],
    checks.map((c) => [c.target, c.measured, c.met === undefined ? '–' : c.met ? 'yes' : '**no**']),
  )
}
