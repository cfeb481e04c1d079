// The situations a user meets, each measured for every target in milliseconds together with
// the upstream connections the target opened meanwhile (read from the stand-in's log: the
// figure that explains the milliseconds).

/**
 * @typedef {object} RunningTarget
 * @property {string} id
 * @property {string} label
 * @property {number} standInPort the stand-in port only this target reaches
 * @property {import('./clients.mjs').Target} client
 */
/**
 * @typedef {object} Opened what a target opened upstream during a scenario
 * @property {number} count
 * @property {number} h2
 * @property {number} resumed
 * @property {string[]} versions distinct TLS versions
 */

const tick = () => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function timed(request) {
  const started = performance.now()
  await request()
  return performance.now() - started
}

/** Nearest-rank percentile. @param {number[]} values @param {number} p 0–100 */
export function percentile(values, p) {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/**
 * Counts connections per target between two moments.
 * @param {{ connections(): Promise<import('./fapi-stand-in.mjs').TlsConnection[]> }} standIn
 */
export function connectionMeter(standIn) {
  return {
    /** @param {RunningTarget[]} targets */
    async mark(targets) {
      const all = await standIn.connections()
      const seen = new Map(targets.map((t) => [t.id, all.filter((c) => c.port === t.standInPort).length]))
      return {
        /** @returns {Promise<Map<string, Opened>>} */
        async opened() {
          const now = await standIn.connections()
          return new Map(
            targets.map((t) => {
              const mine = now.filter((c) => c.port === t.standInPort).slice(seen.get(t.id))
              return [t.id, { count: mine.length, h2: mine.filter((c) => c.alpn === 'h2').length, resumed: mine.filter((c) => c.resumed).length, versions: [...new Set(mine.map((c) => c.tlsVersion))] }]
            }),
          )
        },
      }
    },
  }
}

/** Runs `measure` once per target, one target after the other, and attaches what each opened. */
async function eachInTurn(targets, meter, measure) {
  const out = new Map()
  for (const target of targets) {
    const mark = await meter.mark([target])
    try {
      out.set(target.id, { ...(await measure(target)) })
    } catch (error) {
      out.set(target.id, { error: String(error?.message ?? error).split('\n')[0] })
    }
    out.get(target.id).opened = (await mark.opened()).get(target.id)
  }
  return out
}

/** The first request after the target started. */
export function cold(targets, meter) {
  return eachInTurn(targets, meter, async (t) => ({ ms: await timed(t.client.request) }))
}

/** `count` requests one after the other, one `setImmediate` between them (see NETWORK.md). */
export function warm(targets, meter, count) {
  return eachInTurn(targets, meter, async (t) => {
    const ms = []
    for (let i = 0; i < count; i++) {
      ms.push(await timed(t.client.request))
      await tick()
    }
    return { median: percentile(ms, 50), p99: percentile(ms, 99), samples: ms.length }
  })
}

/** One warm-up request, then `size` at once; the slowest is what the page waits for. */
export function burst(targets, meter, size) {
  return eachInTurn(targets, meter, async (t) => {
    await t.client.request()
    await tick()
    const ms = await Promise.all(Array.from({ length: size }, () => timed(t.client.request)))
    return { slowest: Math.max(...ms), median: percentile(ms, 50) }
  })
}

/** `concurrency` closed loops for `seconds` (after `warmSeconds` of the same, not recorded). */
export function sustained(targets, meter, { concurrency, seconds, warmSeconds }) {
  const loops = async (client, forMs, record) => {
    const until = performance.now() + forMs
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          const ms = await timed(client.request)
          record?.(ms)
          await tick()
        }
      }),
    )
  }
  return eachInTurn(targets, meter, async (t) => {
    await loops(t.client, warmSeconds * 1000)
    const ms = []
    const started = performance.now()
    await loops(t.client, seconds * 1000, (v) => ms.push(v))
    return { p50: percentile(ms, 50), p99: percentile(ms, 99), rps: ms.length / ((performance.now() - started) / 1000), samples: ms.length }
  })
}

/**
 * One request, `gapMs` of silence, one measured request: for every target at once (each
 * target's gap is its own, measured from the end of its warm-up request, starts `staggerMs`
 * apart), so three gaps of 95 s cost about 95 s, not 95 s per target. What a target opens during the gap (a pool that
 * reconnects ahead) counts for this scenario.
 */
export async function afterIdle(targets, meter, gapMs, staggerMs) {
  const out = new Map()
  await Promise.all(
    targets.map(async (target, i) => {
      // Staggered so that no two targets reconnect at the same moment (their TLS handshakes
      // would queue for the same CPUs and count as round trips).
      await sleep(i * staggerMs)
      try {
        await target.client.request()
        const mark = await meter.mark([target])
        await sleep(gapMs)
        const ms = await timed(target.client.request)
        out.set(target.id, { ms, opened: (await mark.opened()).get(target.id) })
      } catch (error) {
        out.set(target.id, { error: String(error?.message ?? error).split('\n')[0] })
      }
    }),
  )
  return out
}
