// The transport comparison: the same bare Node proxy with each upstream transport.
import { join } from 'node:path'
import { freePort, procCpuSeconds, startProcess, waitForHttp } from './processes.mjs'
import { rotate, summarize } from './stats.mjs'
import { runWrk } from './wrk.mjs'

export const TRANSPORTS = [
  { id: 'undici-dispatch', label: 'undici Pool.dispatch (raw handler)' },
  { id: 'undici-request', label: 'undici Pool.request' },
  { id: 'http-agent', label: 'node:http Agent (keep-alive)' },
  { id: 'fetch', label: 'fetch (Node built-in)' },
]

/**
 * Runs every transport through `rounds` alternating rounds at each connection count.
 * @param {{ root: string, upstreamPort: number, secretKey: string, seconds: number, rounds: number, connections: number[], log: (s: string) => void }} o
 */
export async function compareTransports(o) {
  const running = []
  try {
    for (const t of TRANSPORTS) {
      const port = await freePort()
      const proc = startProcess(process.execPath, [join('bench/contenders/bare-transport.mjs')], {
        cwd: o.root,
        role: 'proxy',
        env: { TRANSPORT: t.id, PORT: String(port), CLERK_FAPI_URL: `http://127.0.0.1:${o.upstreamPort}`, CLERK_SECRET_KEY: o.secretKey },
      })
      running.push({ ...t, port, proc })
      await waitForHttp(`http://127.0.0.1:${port}/__clerk/v1/environment`, { alive: () => !proc.exited(), describe: proc.output })
    }
    const url = (t) => `http://127.0.0.1:${t.port}/__clerk/v1/environment`
    for (const t of running) await runWrk({ url: url(t), connections: 32, seconds: 1 })
    const runs = new Map()
    for (let round = 0; round < o.rounds; round++) {
      for (const connections of o.connections) {
        for (const t of rotate(running, round)) {
          const cpuBefore = procCpuSeconds(t.proc.pid)
          const result = await runWrk({ url: url(t), connections, seconds: o.seconds })
          result.cpuUsPerRequest = ((procCpuSeconds(t.proc.pid) - cpuBefore) * 1e6) / result.requests
          o.log(`  transport ${t.id.padEnd(16)} c=${String(connections).padStart(3)} round ${round + 1}: ${Math.round(result.rps)} req/s, p99 ${result.p99.toFixed(1)} ms`)
          const key = `${t.id}@${connections}`
          runs.set(key, [...(runs.get(key) ?? []), result])
        }
      }
    }
    return TRANSPORTS.map((t) => ({
      ...t,
      byConnections: Object.fromEntries(o.connections.map((c) => [c, summarize(runs.get(`${t.id}@${c}`))])),
    }))
  } finally {
    await Promise.all(running.map((t) => t.proc.stop()))
  }
}
