// Starting, waiting for and stopping the servers a benchmark run needs.
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { availableParallelism } from 'node:os'

/**
 * Where processes run: the proxy under test alone on the last CPU, the load generator (wrk)
 * and the upstream on the others, so a fast proxy does not lose CPU to the wrk and nginx it
 * drives harder than a slow one does. Off with BENCH_PIN=0, or with one CPU or no `taskset`.
 */
export const CPU_SETS = cpuSets()

function cpuSets() {
  const n = availableParallelism()
  if (process.env.BENCH_PIN === '0' || n < 2 || spawnSync('taskset', ['-V']).error) return undefined
  return { proxy: String(n - 1), load: n === 2 ? '0' : `0-${n - 2}` }
}

/**
 * `command args` run under `taskset` on the CPUs of `role` (exec, so the pid stays the same).
 * @param {'proxy' | 'load' | undefined} role
 * @param {string} command
 * @param {string[]} args
 * @returns {[string, string[]]}
 */
export function pinned(role, command, args) {
  if (!role || !CPU_SETS) return [command, args]
  return ['taskset', ['-c', CPU_SETS[role], command, ...args]]
}

/**
 * Raises the scheduling priority of every thread of `pid` (nice -10; needs root, otherwise a
 * no-op): a process that sleeps on round trips then wakes on time on a loaded machine instead
 * of queueing behind other work for a scheduler slice, so the figures stay round trips.
 * @param {number} pid
 */
export function favour(pid) {
  let threads = []
  try {
    threads = readdirSync(`/proc/${pid}/task`)
  } catch {
    return
  }
  spawnSync('renice', ['-n', '-10', '-p', ...threads], { stdio: 'ignore' })
}

/**
 * A free TCP port on 127.0.0.1 (bind port 0, read it, close).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      server.close(() => resolve(port))
    })
  })
}

/**
 * Spawns a server process; its output is kept (last 64 KiB) for error messages.
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string, string | undefined>, cwd?: string, role?: 'proxy' | 'load' }} [options]
 */
export function startProcess(command, args, options = {}) {
  const child = spawn(...pinned(options.role, command, args), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-65536)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  let exited = false
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = true
    resolve({ code, signal })
  }))
  child.once('error', (error) => keep(`spawn error: ${error.message}\n`))
  return {
    child,
    pid: /** @type {number} */ (child.pid),
    output: () => output,
    exited: () => exited,
    /** Stops the process by its pid (SIGTERM, then SIGKILL after 3 s). */
    async stop() {
      if (exited) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exit
      clearTimeout(timer)
    },
  }
}

/**
 * Starts a server process and resolves once `ready(proc)` does; stops it when `ready` fails.
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string, string | undefined>, cwd?: string, role?: 'proxy' | 'load', ready: (proc: ReturnType<typeof startProcess>) => Promise<void> }} options
 */
export async function startServer(command, args, { ready, ...options }) {
  const proc = startProcess(command, args, options)
  try {
    await ready(proc)
  } catch (error) {
    await proc.stop()
    throw error
  }
  return proc
}

/**
 * Resolves once `GET url` answers (any status), rejects after `timeoutMs`.
 * @param {string} url
 * @param {{ timeoutMs?: number, alive?: () => boolean, describe?: () => string }} [options]
 */
export async function waitForHttp(url, options = {}) {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000)
  for (;;) {
    const ok = await new Promise((resolve) => {
      const req = request(url, { agent: false }, (res) => {
        res.resume()
        res.on('end', () => resolve(true))
      })
      req.on('error', () => resolve(false))
      req.setTimeout(1000, () => req.destroy())
      req.end()
    })
    if (ok) return
    if (options.alive && !options.alive()) throw new Error(`server for ${url} exited:\n${options.describe?.() ?? ''}`)
    if (Date.now() > deadline) throw new Error(`server for ${url} did not answer in time:\n${options.describe?.() ?? ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * A field of /proc/PID/status in bytes (VmRSS, VmHWM), or undefined when the process is gone.
 * @param {number} pid
 * @param {'VmRSS' | 'VmHWM'} field
 */
export function procMemory(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/**
 * CPU seconds (user + system) the process has used so far, from /proc/PID/stat; a figure
 * that other load on the machine disturbs far less than requests per second.
 * @param {number} pid
 */
export function procCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of stat(5) (utime, stime), counted from the state field (3), plus the
    // running children's (cluster workers): stat counts children only once they have exited.
    let seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      seconds += procCpuSeconds(Number(child)) ?? 0
    }
    return seconds
  } catch {
    return undefined
  }
}

// sysconf(_SC_CLK_TCK) is 100 on every Linux this runs on.
const CLOCK_TICKS = 100
