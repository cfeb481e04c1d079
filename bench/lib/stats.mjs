// Summaries over repeated rounds.

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Median, min and max of each wrk figure over the rounds of one contender at one load.
 * @param {{ rps: number, p50: number, p99: number, errors: number, non2xx: number }[]} runs
 */
export function summarize(runs) {
  const pick = (key) => runs.map((r) => r[key])
  return {
    rounds: runs.length,
    rps: median(pick('rps')),
    rpsMin: Math.min(...pick('rps')),
    rpsMax: Math.max(...pick('rps')),
    p50: median(pick('p50')),
    p99: median(pick('p99')),
    p99Min: Math.min(...pick('p99')),
    p99Max: Math.max(...pick('p99')),
    cpuUsPerRequest: pick('cpuUsPerRequest').every((v) => v !== undefined) ? median(pick('cpuUsPerRequest')) : undefined,
    errors: pick('errors').reduce((a, b) => a + b, 0),
    non2xx: pick('non2xx').reduce((a, b) => a + b, 0),
  }
}

/** `[a, b, c]` rotated left by `n`: round n starts with a different contender. */
export function rotate(list, n) {
  const k = n % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}
