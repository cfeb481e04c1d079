import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { buildConnector, Client, Pool, type Dispatcher } from 'undici'
import type { UpstreamConfig } from '../config/upstream.ts'

/** What the pool tells an operator: that the Frontend API cannot be reached, and when it is again. */
export interface UpstreamNotices {
  /** Called once when connecting fails, until a connection succeeds again. */
  unreachable(message: string, fields: Readonly<Record<string, string | number>>): void
  /** Called once when a connection succeeds after {@link unreachable}. */
  reachable(message: string): void
}

/** Told when the upstream pool puts a connection to Clerk to use or it closes (for metrics). */
export interface UpstreamConnectionEvents {
  /** A connection opened, speaking this HTTP version (`2` or `1.1`). */
  opened(httpVersion: string): void
  /** A connection closed. */
  closed(httpVersion: string): void
}

/** Streams multiplexed on one HTTP/2 connection before the pool opens a second (Node's server default is 100). */
const MAX_STREAMS_PER_SESSION = 100
/** First wait before connecting again after a failure; doubled each time up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 30_000
/** A ready connection the upstream closes sooner than this counts as a failed attempt (backoff). */
const SHORT_LIVED_MS = 1_000

/**
 * The connections to one Frontend API origin, held warm so a request does not pay for a
 * handshake: an undici `Pool` whose clients take their sockets from a small set of
 * pre-connected ones.
 *
 * - At start ({@link warm}) it opens one TCP + TLS connection, offering HTTP/2 by ALPN.
 * - When HTTP/2 is negotiated, one connection carries up to 100 concurrent streams (undici 7
 *   caps HTTP/2 streams by `pipelining`, so each client gets that raised once its socket is
 *   known to speak h2); otherwise `connections` HTTP/1.1 connections are kept ready, never
 *   pipelined.
 * - Whenever a connection closes (the upstream's idle close, GOAWAY, our keep-alive running
 *   out), a replacement is opened at once, so the next request finds one ready; failures are
 *   retried in the background with backoff, reported once through `notices`.
 *
 * @example
 * const pool = new UpstreamPool('https://frontend-api.clerk.dev', config.upstream)
 * pool.warm()
 * pool.dispatch({ path: '/v1/environment', method: 'GET', headers: [] }, handler)
 */
export class UpstreamPool {
  private readonly pool: Pool
  private readonly connector: buildConnector.connector
  private readonly endpoint: buildConnector.Options
  private readonly ready: Socket[] = []
  /** What each ready socket listens to while it waits, removed when a client takes it. */
  private readonly waiting = new Map<Socket, { onClose: () => void; onReadable: () => void; early: Buffer[] }>()
  /** Clients waiting for a connection already being opened, rather than opening another. */
  private readonly claims: ((socket: Socket | undefined) => void)[] = []
  private opening = 0
  /** The HTTP version of each pool client's current connection, for {@link UpstreamConnectionEvents}. */
  private readonly versions = new WeakMap<Dispatcher, string>()
  private protocol: 'h2' | 'http/1.1' | undefined
  private failures = 0
  private reported = false
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false

  constructor(
    origin: string,
    private readonly settings: UpstreamConfig,
    private readonly notices: UpstreamNotices | undefined = undefined,
    private readonly connections: UpstreamConnectionEvents | undefined = undefined,
  ) {
    const url = new URL(origin)
    this.endpoint = {
      hostname: url.hostname,
      host: url.host,
      protocol: url.protocol,
      port: url.port || (url.protocol === 'https:' ? '443' : '80'),
      servername: url.hostname,
    } as buildConnector.Options
    this.connector = buildConnector({ allowH2: settings.http2 })
    this.pool = new Pool(origin, {
      keepAliveTimeout: settings.keepAliveMs,
      keepAliveMaxTimeout: settings.keepAliveMs,
      allowH2: settings.http2,
      factory: (clientOrigin, options) => this.client(clientOrigin, options),
    })
    // A client that took a ready socket, or connected on demand, leaves the ready set short;
    // one that lost its connection too: top it up for the next request.
    this.pool.on('connect', () => this.refill())
    this.pool.on('disconnect', (_origin, targets) => {
      const version = this.versions.get(targets[targets.length - 1]!)
      if (version) this.connections?.closed(version)
      this.refill()
    })
  }

  /** Opens the first connection now (when pre-connecting is on) instead of on the first request. */
  warm(): void {
    if (this.settings.preconnect) this.refill()
  }

  /** Sends a request through the pool (see undici's `Dispatcher.dispatch`). */
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    this.pool.dispatch(options, handler)
  }

  /** Sends a request through the pool and resolves with the answer (undici's `Dispatcher.request`). */
  request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
    return this.pool.request(options)
  }

  /**
   * True while a connection to the Frontend API is in use. A ready one that has not carried a
   * request yet does not count: an upstream that accepts and drops connections is not reachable.
   */
  isConnected(): boolean {
    return this.pool.stats.connected > 0
  }

  /** Closes every connection, ready or in use, once in-flight requests are done. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    for (const socket of this.ready.splice(0)) socket.destroy()
    for (const claim of this.claims.splice(0)) claim(undefined)
    await this.pool.close()
  }

  /** A pool client that takes a ready socket when there is one, and speaks h2 on it when negotiated. */
  private client(origin: URL | string, options: Pool.Options): Dispatcher {
    const client: Client = new Client(origin, {
      ...(options as Client.Options),
      connect: (endpoint, callback) => {
        const attach = (error: Error | null, socket: Socket | null): void => {
          if (!socket) return callback(error ?? new Error('no socket'), null)
          const version = isHttp2(socket) ? '2' : '1.1'
          client.pipelining = version === '2' ? MAX_STREAMS_PER_SESSION : 1
          this.versions.set(client, version)
          this.connections?.opened(version)
          callback(null, socket)
        }
        const ready = this.takeReady()
        // Handed over on the next tick, as a real connect would: the client does not expect
        // its connector to answer inside the call.
        if (ready) process.nextTick(attach, null, ready)
        // A connection half-way through its handshake is closer than a new one.
        else if (this.opening > this.claims.length) {
          this.claims.push((socket) => {
            if (socket) attach(null, socket)
            else if (this.closed) attach(new Error('the upstream pool is closed'), null)
            else this.connector(endpoint, attach as never)
          })
        }
        else this.connector(endpoint, attach as never)
      },
    })
    return client
  }

  private takeReady(): Socket | undefined {
    while (this.ready.length > 0) {
      const socket = this.ready.shift()!
      const { onClose, onReadable, early } = this.waiting.get(socket)!
      this.waiting.delete(socket)
      socket.off('close', onClose)
      socket.off('readable', onReadable)
      if (socket.destroyed || socket.readyState !== 'open') {
        socket.destroy()
        continue
      }
      // What the upstream sent meanwhile (an HTTP/2 server's SETTINGS) goes back for the client to read.
      if (early.length > 0) socket.unshift(Buffer.concat(early))
      // A connection that lasted until it was needed ends any run of failures.
      this.failures = 0
      return socket
    }
    return undefined
  }

  /** How many connections to hold ready or in use: one multiplexed h2 session, else `connections`. */
  private get target(): number {
    if (!this.settings.preconnect) return 0
    return this.protocol === 'http/1.1' ? this.settings.connections : 1
  }

  /** Opens connections until the target is met, unless a retry after a failure is pending. */
  private refill(): void {
    if (this.closed || this.retryTimer !== undefined) return
    const held = this.ready.length + this.opening + this.pool.stats.connected
    for (let i = held; i < this.target; i++) this.open()
  }

  private open(): void {
    this.opening++
    this.connector(this.endpoint, (error, connected) => {
      this.opening--
      const claim = this.claims.shift()
      if (error || !connected) {
        claim?.(undefined)
        return this.failed(error ?? new Error('no socket'))
      }
      const socket = connected as Socket
      if (this.closed) return void socket.destroy()
      this.protocol = isHttp2(socket) ? 'h2' : 'http/1.1'
      if (this.reported) this.notices?.reachable('connected to the Frontend API')
      this.reported = false
      if (claim) {
        this.failures = 0
        return claim(socket)
      }
      const opened = performance.now()
      // The connector's own 'error' listener stays on the socket, so an idle reset is not thrown.
      const onClose = (): void => {
        this.waiting.delete(socket)
        const index = this.ready.indexOf(socket)
        if (index !== -1) this.ready.splice(index, 1)
        // Closed while waiting to be used (the upstream's idle close): replace it now. One
        // the upstream drops straight away waits out a backoff, so an upstream that keeps
        // dropping connections is not hammered (nothing is logged: the next connect may work).
        if (performance.now() - opened < SHORT_LIVED_MS) return this.failed(undefined)
        this.failures = 0
        this.refill()
      }
      // Reading what arrives is what lets a close be seen: an unread socket never emits 'end'.
      const early: Buffer[] = []
      const onReadable = (): void => {
        for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) early.push(chunk)
      }
      socket.on('readable', onReadable)
      socket.once('close', onClose)
      this.waiting.set(socket, { onClose, onReadable, early })
      // A ready socket alone does not keep the process running.
      socket.unref()
      this.ready.push(socket)
      this.refill()
    })
  }

  /** Schedules the next attempt after a backoff; a connect `error` is reported (once until one succeeds). */
  private failed(error: Error | undefined): void {
    if (this.closed) return
    const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** this.failures)
    if (error && !this.reported) {
      this.reported = true
      this.notices?.unreachable('cannot connect to the Frontend API; retrying in the background', {
        origin: `${this.endpoint.protocol}//${this.endpoint.host}`,
        error: (error as { code?: string }).code ?? error.message,
      })
    }
    this.failures++
    if (this.retryTimer !== undefined) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.refill()
    }, delay)
    this.retryTimer.unref?.()
  }
}

function isHttp2(socket: Socket): boolean {
  return (socket as TLSSocket).alpnProtocol === 'h2'
}
