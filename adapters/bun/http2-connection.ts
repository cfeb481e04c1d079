/**
 * The HTTP/2 session Bun's transport holds to one `https` origin ({@link ./upstream.ts}): learns
 * the origin's protocol from ALPN once, opens the session ahead of need and again whenever it
 * closes, and backs off when connecting fails.
 */
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2'
import { isIP } from 'node:net'
import { connect as connectTls, type TLSSocket } from 'node:tls'
import type { UpstreamConfig } from '../../src/config/upstream.ts'
import { UpstreamConnectionError } from './http2-request.ts'

/** First wait before connecting again after a failure; doubled each time up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 30_000
/** A TCP + TLS connect that has not finished by then is given up (and retried with backoff). */
const CONNECT_TIMEOUT_MS = 10_000
/** A session the upstream closes sooner than this counts as a failed attempt (backoff). */
const SHORT_LIVED_MS = 1_000
/**
 * Receive window of the session and of each stream: a large asset is not held to HTTP/2's
 * 64 KiB default per round trip (1.4 MB over a 40 ms link: 47 ms, against 920 ms with the default).
 */
const RECEIVE_WINDOW_BYTES = 8 << 20

/**
 * The connection state for one `https` origin.
 *
 * @example
 * const origin = new OriginConnection('https://frontend-api.clerk.services', () => config.upstream, useFetch)
 * origin.warm() // opens the session now
 * const session = await origin.current() // undefined when the origin speaks HTTP/1.1 only
 */
export class OriginConnection {
  /** `h2` or `http/1.1` once the first connection has said, else unknown. */
  protocol: 'h2' | 'http/1.1' | undefined
  private session: ClientHttp2Session | undefined
  private connecting: Promise<ClientHttp2Session | undefined> | undefined
  private failures = 0
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false

  constructor(
    private readonly origin: string,
    private readonly settings: () => UpstreamConfig,
    /** Called once when the origin turns out to speak HTTP/1.1 only. */
    private readonly onHttp1: () => void,
  ) {}

  /** Opens the session now, unless one is open or opening (pre-connecting). */
  warm(): void {
    if (this.closed || this.retryTimer !== undefined || this.protocol === 'http/1.1') return
    void this.current().catch(() => {})
  }

  /** The open session, connecting when there is none; `undefined` when the origin speaks HTTP/1.1 only. */
  current(): Promise<ClientHttp2Session | undefined> {
    const session = this.session
    if (session && !session.closed && !session.destroyed) return Promise.resolve(session)
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  close(): void {
    this.closed = true
    clearTimeout(this.retryTimer)
    this.session?.close()
  }

  private connect(): Promise<ClientHttp2Session | undefined> {
    const url = new URL(this.origin)
    const host = url.hostname.replace(/^\[|\]$/g, '')
    return new Promise<ClientHttp2Session | undefined>((resolve, reject) => {
      const socket: TLSSocket = connectTls({
        host,
        port: Number(url.port || 443),
        // SNI names a host, never an address.
        ...(isIP(host) ? {} : { servername: host }),
        ALPNProtocols: ['h2', 'http/1.1'],
      })
      const onError = (error: Error): void => {
        socket.destroy()
        this.failed()
        reject(error)
      }
      socket.once('error', onError)
      // An upstream that never answers the handshake would otherwise hold the connect for the OS's TCP timeout (minutes).
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => onError(new UpstreamConnectionError('connecting to the upstream timed out', 'ETIMEDOUT')))
      socket.once('secureConnect', () => {
        socket.setTimeout(0)
        socket.off('error', onError)
        if (socket.alpnProtocol !== 'h2') {
          // An HTTP/1.1 origin: `fetch` serves it from now on, with its own warm connections.
          socket.end()
          this.protocol = 'http/1.1'
          this.onHttp1()
          return resolve(undefined)
        }
        this.protocol = 'h2'
        resolve(this.adopt(connectHttp2(this.origin, { createConnection: () => socket, settings: { initialWindowSize: RECEIVE_WINDOW_BYTES } })))
      })
    })
  }

  /** Makes `session` the one new requests use, and watches it close. */
  private adopt(session: ClientHttp2Session): ClientHttp2Session {
    const openedAt = performance.now()
    this.session = session
    session.on('error', () => {})
    // Bun's session window must be raised together with the streams' (SETTINGS above): raised
    // alone, its streams stall after 64 KiB.
    session.once('connect', () => session.setLocalWindowSize(RECEIVE_WINDOW_BYTES))
    // Closing first, inside the upstream's own idle limit, means no request races its close.
    session.setTimeout(this.settings().keepAliveMs, () => session.close())
    // After GOAWAY the session finishes its streams but takes no new ones; its close (soon after,
    // at Cloudflare) is when the next one is opened.
    session.once('goaway', () => {
      if (this.session === session) this.session = undefined
    })
    session.once('close', () => {
      if (this.session === session) this.session = undefined
      // An upstream that accepts and drops connections at once is retried with backoff, not in a loop.
      if (performance.now() - openedAt < SHORT_LIVED_MS) return this.failed()
      this.failures = 0
      if (!this.closed && this.settings().preconnect) this.warm()
    })
    return session
  }

  /** Connecting failed: when pre-connecting, try again after a backoff. */
  private failed(): void {
    this.failures++
    if (this.closed || !this.settings().preconnect || this.retryTimer !== undefined) return
    const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.failures - 1))
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.warm()
    }, delay)
    ;(this.retryTimer as { unref?(): void }).unref?.()
  }
}
