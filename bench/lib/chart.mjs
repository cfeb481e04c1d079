// The README's chart: hand-written SVG, two panels of horizontal bars (throughput, p99), one
// bar per contender and connection count.

const COLORS = { 32: '#6c47ff', 256: '#f59e0b' }
const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2))

/**
 * @param {{ label: string, byConnections: Record<number, { rps: number, p99: number } | undefined> }[]} rows
 * @param {{ title: string, subtitle: string, connections: number[] }} meta
 * @returns {string} an SVG document
 */
export function renderChart(rows, meta) {
  const labelWidth = 190
  const barArea = 330
  const panelGap = 60
  const width = labelWidth + 2 * barArea + panelGap + 80
  const barHeight = 11
  const rowHeight = meta.connections.length * (barHeight + 2) + 10
  const top = 78
  const height = top + rows.length * rowHeight + 40
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`)
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`)
  out.push(`<text x="16" y="24" font-size="16" font-weight="600" fill="#111">${escape(meta.title)}</text>`)
  out.push(`<text x="16" y="42" fill="#555">${escape(meta.subtitle)}</text>`)

  const panels = [
    { key: 'rps', title: 'requests/s (higher is better)', x: labelWidth, scale: linearScale(rows, 'rps', meta.connections) },
    { key: 'p99', title: 'p99 latency, ms, log scale (lower is better)', x: labelWidth + barArea + panelGap, scale: logScale(rows, 'p99', meta.connections) },
  ]
  for (const panel of panels) {
    out.push(`<text x="${panel.x}" y="${top - 14}" font-weight="600" fill="#333">${escape(panel.title)}</text>`)
    out.push(`<line x1="${panel.x}" y1="${top - 6}" x2="${panel.x}" y2="${top + rows.length * rowHeight}" stroke="#999"/>`)
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight
    out.push(`<text x="${labelWidth - 8}" y="${y + rowHeight / 2}" text-anchor="end" dominant-baseline="middle" fill="#111">${escape(row.label)}</text>`)
    meta.connections.forEach((conns, j) => {
      const by = y + j * (barHeight + 2) + 3
      for (const panel of panels) {
        const value = row.byConnections[conns]?.[panel.key]
        if (value === undefined) continue
        const w = Math.max(1, panel.scale(value) * barArea)
        out.push(`<rect x="${panel.x}" y="${by}" width="${w.toFixed(1)}" height="${barHeight}" fill="${COLORS[conns] ?? '#888'}" rx="2"/>`)
        out.push(`<text x="${(panel.x + w + 4).toFixed(1)}" y="${by + barHeight - 2}" font-size="10" fill="#333">${fmt(value)}</text>`)
      }
    })
    if (i < rows.length - 1) out.push(`<line x1="16" y1="${y + rowHeight}" x2="${width - 16}" y2="${y + rowHeight}" stroke="#eee"/>`)
  })
  const legendY = height - 16
  meta.connections.forEach((conns, j) => {
    const x = labelWidth + j * 140
    out.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[conns] ?? '#888'}" rx="2"/>`)
    out.push(`<text x="${x + 18}" y="${legendY}" fill="#333">${conns} connections</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

function values(rows, key, connections) {
  return rows.flatMap((row) => connections.map((c) => row.byConnections[c]?.[key]).filter((v) => v !== undefined && v > 0))
}

function linearScale(rows, key, connections) {
  const max = Math.max(1, ...values(rows, key, connections))
  return (v) => v / max
}

function logScale(rows, key, connections) {
  const all = values(rows, key, connections)
  const lo = Math.log10(Math.min(...all, 1) / 2)
  const hi = Math.log10(Math.max(...all, 10))
  return (v) => (Math.log10(Math.max(v, 1e-3)) - lo) / (hi - lo)
}
