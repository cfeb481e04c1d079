// A Frontend API stand-in that behaves like Clerk's edge (Cloudflare) where round trips are
// concerned: HTTPS with a certificate made at run time, HTTP/2 and HTTP/1.1 offered by ALPN,
// idle connections kept 400 s, no `Keep-Alive: timeout=` hint. It logs every TLS connection
// (ALPN, TLS version, resumed or not) and counts them per listening port, so a benchmark can
// say how many upstream connections each proxy opened and explain every round trip with it.
// Runs in its own process (`startStandInProcess`) or in-process (`startFapiStandIn`).
import { fork } from 'node:child_process'
import { createSecureServer } from 'node:http2'
import { fileURLToPath } from 'node:url'

/** Cloudflare's idle timeout for client connections. */
export const CLOUDFLARE_IDLE_MS = 400_000
const CONNECTION = Symbol('connection')

/**
 * @typedef {object} TlsConnection
 * @property {number} port the stand-in port it arrived on
 * @property {string} alpn `h2` or `http/1.1` (`none` when the client offered no ALPN)
 * @property {string} tlsVersion e.g. `TLSv1.3`
 * @property {boolean} resumed whether the TLS session was resumed
 * @property {number} requests requests served on it so far
 * @property {number} at ms since the stand-in started
 */

/**
 * @param {{ cert: string, key: string, ports: number, body: string, idleMs?: number, log?: (line: string) => void }} options
 *   `ports`: how many listening ports (one per client to tell apart); `body`: the JSON served
 */
export async function startFapiStandIn(options) {
  let idleMs = options.idleMs ?? CLOUDFLARE_IDLE_MS
  const startedAt = performance.now()
  /** @type {TlsConnection[]} */
  const connections = []
  const open = new Set()
  const servers = []
  for (let i = 0; i < options.ports; i++) {
    const server = createSecureServer({ cert: options.cert, key: options.key, allowHTTP1: true, ALPNProtocols: ['h2', 'http/1.1'] })
    // Node's defaults would close idle connections (HTTP/1.1: 5 s) and send a Keep-Alive hint.
    server.setTimeout(0)
    server.on('secureConnection', (socket) => {
      const record = {
        port: 0,
        alpn: socket.alpnProtocol || 'none',
        tlsVersion: socket.getProtocol() ?? '?',
        resumed: socket.isSessionReused(),
        requests: 0,
        at: Math.round(performance.now() - startedAt),
      }
      record.port = server.address().port
      connections.push(record)
      const state = { socket, record, session: undefined, active: 0, lastActive: performance.now() }
      socket[CONNECTION] = state
      open.add(state)
      socket.once('close', () => open.delete(state))
      socket.on('data', () => (state.lastActive = performance.now()))
      options.log?.(`tls at=${record.at}ms port=${record.port} alpn=${record.alpn} version=${record.tlsVersion} resumed=${record.resumed}`)
    })
    server.on('session', (session) => {
      const state = session.socket?.[CONNECTION]
      if (state) state.session = session
    })
    server.on('request', (req, res) => {
      const state = req.socket?.[CONNECTION]
      if (state) {
        state.record.requests++
        state.active++
        state.lastActive = performance.now()
        res.once('close', () => {
          state.active--
          state.lastActive = performance.now()
        })
      }
      req.resume()
      req.once('end', () => answer(req, res, options.body))
    })
    server.on('sessionError', () => {})
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
  }
  // The upstream's own idle close: GOAWAY on HTTP/2, FIN on HTTP/1.1, like an edge that is done.
  const sweeper = setInterval(() => {
    const now = performance.now()
    for (const state of open) {
      if (state.active > 0 || now - state.lastActive < idleMs || state.closing) continue
      state.closing = true
      if (state.session) state.session.close()
      else state.socket.end()
    }
  }, 100)
  return {
    ports: servers.map((s) => s.address().port),
    connections: () => connections.map((c) => ({ ...c })),
    /** @param {number} ms a new idle timeout, applied to open connections too */
    setIdle(ms) {
      idleMs = ms
    },
    close: () =>
      Promise.all(
        servers.map((s) => {
          clearInterval(sweeper)
          for (const state of open) state.socket.destroy()
          return new Promise((resolve) => s.close(resolve))
        }),
      ),
  }
}

function answer(req, res, body) {
  const path = (req.url ?? '/').split('?')[0]
  if (req.method === 'GET' && path.startsWith('/v1/')) {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', vary: 'Origin', 'content-length': Buffer.byteLength(body) })
    res.end(body)
    return
  }
  const notFound = JSON.stringify({ errors: [{ code: 'resource_not_found' }] })
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(notFound) })
  res.end(notFound)
}

/**
 * The stand-in in a child process. `connections()` and `setIdle()` talk to it over IPC.
 * @param {{ cert: string, key: string, ports: number, body: string, logFile?: string }} options
 * @param {{ pin?: (pid: number) => void }} [hooks]
 */
export function startStandInProcess(options, hooks = {}) {
  const child = fork(fileURLToPath(import.meta.url), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  hooks.pin?.(/** @type {number} */ (child.pid))
  const log = []
  child.stdout?.on('data', (chunk) => log.push(chunk.toString()))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  let nextId = 0
  const waiting = new Map()
  child.on('message', (message) => {
    const resolve = waiting.get(message.id)
    waiting.delete(message.id)
    resolve?.(message.result)
  })
  const call = (method, arg) =>
    new Promise((resolve) => {
      const id = ++nextId
      waiting.set(id, resolve)
      child.send({ id, method, arg })
    })
  return call('start', options).then((ports) => ({
    pid: /** @type {number} */ (child.pid),
    ports: /** @type {number[]} */ (ports),
    /** @returns {Promise<TlsConnection[]>} */
    connections: () => call('connections'),
    /** @param {number} ms */
    setIdle: (ms) => call('setIdle', ms),
    /** Every TLS connection line logged so far. */
    log: () => log.join(''),
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
  }))
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  let standIn
  process.on('message', async ({ id, method, arg }) => {
    let result
    if (method === 'start') {
      standIn = await startFapiStandIn({ ...arg, log: (line) => process.stdout.write(`${line}\n`) })
      result = standIn.ports
    } else if (method === 'connections') result = standIn.connections()
    else if (method === 'setIdle') result = standIn.setIdle(arg)
    process.send?.({ id, result })
  })
  process.on('disconnect', () => process.exit(0))
  process.on('SIGTERM', () => process.exit(0))
}
