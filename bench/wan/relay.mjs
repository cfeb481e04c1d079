// A user-space TCP relay that puts a simulated network link between a client and a server on
// loopback (kernel delay emulation, `tc netem`, is not available here): every chunk is
// delivered RTT/2 after it arrived, in order, in each direction; a close travels after the
// data queued before it; the client's first bytes wait one extra RTT for the TCP handshake a
// loopback accept skips; an optional rate cap adds serialization delay (the relay has no slow
// start). Runs in its own process (see `startRelayProcess`) so its timers are not delayed by
// the client or the servers it connects.
import { fork } from 'node:child_process'
import { createConnection, createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/**
 * @typedef {object} LinkOptions
 * @property {number} rttMs the round-trip time to simulate
 * @property {number} [bytesPerSecond] a rate cap per direction and connection (none when unset)
 */

/**
 * One direction of a link: chunks leave `from` and reach `to` when their time comes.
 * @param {import('node:net').Socket} from
 * @param {import('node:net').Socket} to
 * @param {{ delayMs: number, bytesPerSecond?: number, notBefore: () => number }} link
 *   `notBefore` is the earliest moment the sender could have sent (the handshake's end)
 */
function delayDirection(from, to, link) {
  /** @type {{ due: number, chunk?: Buffer, end?: true }[]} */
  const queue = []
  let timer
  let lastDue = 0
  let wireFreeAt = 0
  let queuedBytes = 0
  const flush = () => {
    timer = undefined
    const now = performance.now()
    while (queue.length && queue[0].due <= now + 0.5) {
      const item = /** @type {{ due: number, chunk?: Buffer, end?: true }} */ (queue.shift())
      if (to.destroyed) return
      queuedBytes -= item.chunk?.length ?? 0
      if (item.end) to.end()
      else to.write(item.chunk)
    }
    schedule()
  }
  const schedule = () => {
    if (timer || !queue.length) return
    timer = setTimeout(flush, Math.max(0, queue[0].due - performance.now()))
  }
  const enqueue = (item, bytes) => {
    const sentAt = Math.max(performance.now(), link.notBefore())
    // Serialization: a capped link sends one chunk after the other.
    const onWire = link.bytesPerSecond ? (Math.max(wireFreeAt, sentAt) + (bytes * 1000) / link.bytesPerSecond) : sentAt
    wireFreeAt = onWire
    lastDue = Math.max(lastDue, onWire + link.delayMs)
    queuedBytes += bytes
    queue.push({ ...item, due: lastDue })
    schedule()
  }
  from.on('data', (chunk) => enqueue({ chunk }, chunk.length))
  from.on('end', () => enqueue({ end: true }, 0))
  return { queuedBytes: () => queuedBytes }
}

/**
 * Starts listening on 127.0.0.1 (port 0) and relays each accepted connection to
 * `127.0.0.1:targetPort` through the simulated link.
 * @param {number} targetPort
 * @param {LinkOptions} options
 * @returns {Promise<{ port: number, connections: () => number, queuedBytes: () => number, close: () => Promise<void> }>}
 */
export function createRelay(targetPort, options) {
  const half = options.rttMs / 2
  const sockets = new Set()
  const directions = new Set()
  let accepted = 0
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    accepted++
    const acceptedAt = performance.now()
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true, noDelay: true })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    }
    // A real client can send its first byte only once the SYN / SYN-ACK round trip is over.
    const links = [
      delayDirection(client, upstream, { delayMs: half, bytesPerSecond: options.bytesPerSecond, notBefore: () => acceptedAt + options.rttMs }),
      delayDirection(upstream, client, { delayMs: half, bytesPerSecond: options.bytesPerSecond, notBefore: () => 0 }),
    ]
    for (const link of links) directions.add(link)
    let closed = 0
    const forget = () => {
      if (++closed === 2) for (const link of links) directions.delete(link)
    }
    client.once('close', forget)
    upstream.once('close', forget)
    // A reset travels like the rest: after the link's delay, and it ends both sides.
    const reset = (other) => () => setTimeout(() => other.destroy(), half)
    client.on('error', reset(upstream))
    upstream.on('error', reset(client))
    client.on('close', () => setTimeout(() => upstream.destroy(), options.rttMs + 50).unref())
    upstream.on('close', () => setTimeout(() => client.destroy(), options.rttMs + 50).unref())
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      resolve({
        port,
        connections: () => accepted,
        /** Bytes that reached the relay and wait for their delivery time, both ways. */
        queuedBytes: () => [...directions].reduce((sum, link) => sum + link.queuedBytes(), 0),
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          }),
      })
    })
  })
}

/**
 * Runs relays in a child process of their own: one listening port per target port.
 * @param {number[]} targetPorts
 * @param {LinkOptions} options
 * @param {{ pin?: (pid: number) => void }} [hooks] e.g. pin the process to a CPU
 * @returns {Promise<{ pid: number, ports: number[], stop: () => Promise<void> }>}
 */
export function startRelayProcess(targetPorts, options, hooks = {}) {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify({ targetPorts, ...options })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  hooks.pin?.(/** @type {number} */ (child.pid))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`relay exited early (${code})`)))
    child.once('message', (message) =>
      resolve({
        pid: /** @type {number} */ (child.pid),
        ports: /** @type {{ ports: number[] }} */ (message).ports,
        stop: async () => {
          child.kill('SIGTERM')
          await exited
        },
      }),
    )
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const { targetPorts, ...options } = JSON.parse(process.argv[2])
  const relays = await Promise.all(targetPorts.map((port) => createRelay(port, options)))
  process.send({ ports: relays.map((r) => r.port) })
  process.on('disconnect', () => process.exit(0))
  process.on('SIGTERM', () => process.exit(0))
}
