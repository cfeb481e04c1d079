// Runs wrk and reads its report.
import { spawn } from 'node:child_process'
import { CPU_SETS, pinned } from './processes.mjs'

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

/**
 * A wrk duration like `812.00us`, `1.23ms`, `2.01s` in milliseconds.
 * @param {string} text
 */
export function wrkDurationMs(text) {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim())
  if (!match) throw new Error(`unreadable wrk duration "${text}"`)
  return Number(match[1]) * UNIT_MS[/** @type {keyof typeof UNIT_MS} */ (match[2])]
}

/**
 * The numbers a `wrk --latency` report gives.
 * @param {string} out
 */
export function parseWrk(out) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const p50 = /^\s+50%\s+(\S+)/m.exec(out)
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)
  const total = /(\d+) requests in/.exec(out)
  if (!rps || !p50 || !p99 || !total) throw new Error(`unreadable wrk output:\n${out}`)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)
  const errors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  return {
    rps: Number(rps[1]),
    p50: wrkDurationMs(p50[1]),
    p99: wrkDurationMs(p99[1]),
    requests: Number(total[1]),
    errors,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  }
}

/** One wrk thread per CPU wrk may use: the load CPUs when pinned, else 2. */
export const WRK_THREADS = CPU_SETS ? cpuCount(CPU_SETS.load) : 2

function cpuCount(list) {
  return list.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number)
    return n + (b === undefined ? 1 : b - a + 1)
  }, 0)
}

/**
 * One wrk run.
 * @param {{ url: string, connections: number, seconds: number, threads?: number }} options
 */
export function runWrk({ url, connections, seconds, threads = WRK_THREADS }) {
  const args = [`-t${Math.min(threads, connections)}`, `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '30s', url]
  return new Promise((resolve, reject) => {
    const child = spawn(...pinned('load', 'wrk', args), { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}:\n${out}`))
      try {
        resolve(parseWrk(out))
      } catch (error) {
        reject(error)
      }
    })
  })
}
