/**
 * Bun's connections to the Frontend API. Bun's `fetch` speaks HTTP/1.1 (HTTP/2 only behind an
 * experimental option, with no way to pre-open the session or to hear that the upstream closed
 * it), so a burst opens a connection per request and the first request after the upstream's
 * idle close pays a new handshake. For an `https` origin this transport therefore holds one
 * multiplexed HTTP/2 session of its own (`node:http2`, which Bun implements), and falls back to
 * `fetch` where HTTP/2 is not offered (docs/network.md, "Bun").
 *
 * - Which protocol an origin speaks is learnt once, from ALPN on the first connection (h2 and
 *   http/1.1 both offered); an HTTP/1.1-only origin is then served by `fetch` for good.
 * - Pre-connecting on: the session is opened at start, and opened again at once whenever it
 *   closes (the upstream's idle close, GOAWAY, our own keep-alive running out), so a request
 *   never waits for a handshake; failures are retried in the background with backoff.
 * - A GET or HEAD without a body that got no answer because its stream was refused or its
 *   connection closed is sent once more; anything else never is.
 */
import { connect as connectHttp2, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'
import { isIP } from 'node:net'
import { connect as connectTls, type TLSSocket } from 'node:tls'
import { DEFAULT_UPSTREAM, type UpstreamConfig } from '../../src/config/upstream.ts'
import type { ProxyConfig } from '../../src/config/proxy.ts'
import type { FetchTransport } from '../../src/forward-fetch.ts'

/** Where the Frontend API is: what {@link BunUpstreamTransport.configure} connects to. */
export type FapiLocation = Pick<ProxyConfig, 'fapiOrigin' | 'fapiBasePath'>

/** First wait before connecting again after a failure; doubled each time up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 30_000
/** How long a warm-up request of the HTTP/1.1 fallback may take (3 RTT on a new connection). */
const WARM_REQUEST_TIMEOUT_MS = 10_000
/** A TCP + TLS connect that has not finished by then is given up (and retried with backoff). */
const CONNECT_TIMEOUT_MS = 10_000
/** A session the upstream closes sooner than this counts as a failed attempt (backoff). */
const SHORT_LIVED_MS = 1_000
/**
 * Receive window of the session and of each stream: a large asset is not held to HTTP/2's
 * 64 KiB default per round trip (1.4 MB over a 40 ms link: 47 ms, against 920 ms with the default).
 */
const RECEIVE_WINDOW_BYTES = 8 << 20
/** Bytes of an answer queued for the client before the upstream stream is paused. */
const RESPONSE_HIGH_WATER_BYTES = 64 * 1024

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2) or carries as pseudo-headers. */
const NOT_IN_HTTP2 = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host'])
/** Answers that have no body whatever the upstream sends. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

/** Bun's `fetch` options beyond the standard ones. */
type BunFetchInit = RequestInit & { decompress?: boolean }
declare const fetch: ((url: string, init: BunFetchInit) => Promise<Response>) & { preconnect?(url: string): void }

/** An error of the upstream connection, with the code `describeTransportError` reports. */
class UpstreamConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
    this.name = 'UpstreamConnectionError'
  }
}

/** The connection state for one `https` origin. */
class OriginConnection {
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

/**
 * The Bun transport: an HTTP/2 session per `https` origin (see the module doc), `fetch` with
 * `decompress: false` elsewhere. Compressed bodies reach the client as Clerk sent them.
 *
 * @example
 * const transport = new BunUpstreamTransport()
 * transport.configure(config.proxy, config.upstream) // connects now when pre-connecting
 * clerkProxy({ transport })
 */
export class BunUpstreamTransport implements FetchTransport {
  /** False: compressed answers are passed on as Clerk sent them, over HTTP/2 and with `decompress: false`. */
  readonly decodesBody = false
  private settings: UpstreamConfig = DEFAULT_UPSTREAM
  private fapi: FapiLocation | undefined
  private readonly origins = new Map<string, OriginConnection>()

  /** Sends one request: over the origin's HTTP/2 session where it has one, else with `fetch`. */
  readonly fetch = (url: string, init: RequestInit): Promise<Response> => {
    if (!this.settings.http2 || !url.startsWith('https:')) return this.fetchHttp1(url, init)
    const origin = this.originOf(new URL(url).origin)
    if (origin.protocol === 'http/1.1') return this.fetchHttp1(url, init)
    return this.fetchHttp2(origin, url, init, true)
  }

  /**
   * Takes the upstream settings, and with pre-connecting on opens the connection to `origin`
   * now, before the first request.
   *
   * @example transport.configure(config.proxy, config.upstream)
   */
  configure(fapi: FapiLocation, settings: UpstreamConfig): void {
    this.settings = settings
    this.fapi = fapi
    if (!settings.preconnect) return
    const origin = fapi.fapiOrigin
    if (!origin.startsWith('https:')) for (let i = 0; i < settings.connections; i++) fetch.preconnect?.(origin)
    else if (settings.http2) this.originOf(origin).warm()
    else this.warmHttp1()
  }

  /**
   * Opens `connections` HTTP/1.1 connections in Bun's pool with as many `GET /v1/environment`
   * at once, without credentials, cookies or client address (the public answer clerk-js loads
   * first). `fetch.preconnect()` sometimes opens only one of them, and Bun closes a connection
   * after answering a `HEAD`.
   */
  private warmHttp1(): void {
    const fapi = this.fapi
    if (!fapi || !this.settings.preconnect) return
    const url = `${fapi.fapiOrigin}${fapi.fapiBasePath}/v1/environment`
    for (let i = 0; i < this.settings.connections; i++) {
      this.fetchHttp1(url, { redirect: 'manual', signal: AbortSignal.timeout(WARM_REQUEST_TIMEOUT_MS) })
        .then((response) => response.arrayBuffer())
        .catch(() => {})
    }
  }

  /** Closes every session once its requests are done. */
  close(): void {
    for (const origin of this.origins.values()) origin.close()
    this.origins.clear()
  }

  /** The connection state of `origin`, made on first use. */
  private originOf(origin: string): OriginConnection {
    let connection = this.origins.get(origin)
    if (!connection) {
      connection = new OriginConnection(origin, () => this.settings, () => origin === this.fapi?.fapiOrigin && this.warmHttp1())
      this.origins.set(origin, connection)
    }
    return connection
  }

  /** Bun's `fetch`, compressed bodies left as they are. */
  private fetchHttp1(url: string, init: RequestInit): Promise<Response> {
    return fetch(url, { ...init, decompress: false })
  }

  /** One request on the origin's session; a GET or HEAD that got no answer goes once more. */
  private async fetchHttp2(origin: OriginConnection, url: string, init: RequestInit, mayRetry: boolean): Promise<Response> {
    // A request waiting for the connection still ends with its own timeout or its client's departure.
    const session = await untilAborted(origin.current(), init.signal ?? undefined)
    if (!session) return this.fetchHttp1(url, init)
    try {
      return await requestOnSession(session, url, init)
    } catch (error) {
      const method = init.method ?? 'GET'
      const resendable = mayRetry && (method === 'GET' || method === 'HEAD') && init.body == null && !init.signal?.aborted
      if (!resendable || !(error instanceof UnansweredError)) throw error instanceof UnansweredError ? error.cause : error
      // On the same session when only the stream was refused; a closed one is replaced first.
      return this.fetchHttp2(origin, url, init, false)
    }
  }
}

/** `work`, or the reason of `signal` once it aborts first (the signal is the request's own). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
  aborted.catch(() => {})
  return Promise.race([work, aborted])
}

/** The stream got no answer because the upstream refused it or its connection closed: safe to resend when idempotent. */
class UnansweredError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message)
    this.name = 'UnansweredError'
  }
}

/** Sends `init` as one stream on `session`; resolves with the answer's head, the body streaming after. */
function requestOnSession(session: ClientHttp2Session, url: string, init: RequestInit): Promise<Response> {
  const target = new URL(url)
  const method = (init.method ?? 'GET').toUpperCase()
  const headers: OutgoingHttpHeaders = { ':method': method, ':path': target.pathname + target.search, ':authority': target.host, ':scheme': 'https' }
  const pairs: Iterable<[string, string]> = Array.isArray(init.headers) ? (init.headers as [string, string][]) : new Headers(init.headers)
  for (const [mixedCase, value] of pairs) {
    const name = mixedCase.toLowerCase()
    if (NOT_IN_HTTP2.has(name)) continue
    const previous = headers[name]
    headers[name] = previous === undefined ? value : ([] as string[]).concat(previous as string | string[], value)
  }
  const body = init.body
  if (body instanceof ArrayBuffer) headers['content-length'] = String(body.byteLength)
  const signal = init.signal ?? undefined
  if (signal?.aborted) return Promise.reject(signal.reason)

  return new Promise<Response>((resolve, reject) => {
    let stream: ClientHttp2Stream
    try {
      stream = session.request(headers, { endStream: body == null })
    } catch (error) {
      return reject(new UnansweredError(error as Error))
    }
    let answered = false
    let ended = false
    let bodyError: unknown
    const onAbort = (): void => {
      stream.close(constants.NGHTTP2_CANCEL)
      if (!answered) reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const done = (): void => signal?.removeEventListener('abort', onAbort)

    stream.once('response', (head: IncomingHttpHeaders) => {
      answered = true
      const status = Number(head[':status'])
      const responseHeaders = new Headers()
      for (const [name, value] of Object.entries(head)) {
        if (name.startsWith(':') || value === undefined) continue
        if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item)
        else responseHeaders.set(name, String(value))
      }
      if (method === 'HEAD' || NULL_BODY_STATUSES.has(status)) {
        stream.resume()
        stream.once('close', done)
        return resolve(new Response(null, { status, headers: responseHeaders }))
      }
      let finish: (error?: unknown) => void = () => {}
      const length = head['content-length']
      const declared = length === undefined || !/^\d+$/.test(String(length)) ? undefined : Number(length)
      let received = 0
      const answer = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            // Whatever ends the body ends it once; a throw in a stream event would end the process.
            finish = (error) => {
              if (ended) return
              ended = true
              done()
              try {
                if (error === undefined) controller.close()
                else controller.error(error)
              } catch {
                // The reader already went away.
              }
            }
            stream.on('data', (chunk: Buffer) => {
              if (ended) return
              received += chunk.byteLength
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
              if ((controller.desiredSize ?? 1) <= 0) stream.pause()
            })
            // Bun's node:http2 ends a stream the upstream reset (RST_STREAM) as if it were complete:
            // a declared length is the one way left to see that an answer was cut short.
            stream.once('end', () => finish(declared === undefined || received === declared ? undefined : truncatedError()))
            stream.once('close', () => {
              // Bun closes a stream that ended cleanly (NO_ERROR) before a paused reader has had its
              // last bytes and 'end': those still come. Any other close cuts the body short.
              if (stream.rstCode === constants.NGHTTP2_NO_ERROR && !signal?.aborted && !stream.readableEnded) return
              if (stream.readableEnded) return finish()
              finish(signal?.aborted ? signal.reason : connectionError(stream))
            })
          },
          pull() {
            stream.resume()
          },
          cancel() {
            finish()
            stream.close(constants.NGHTTP2_CANCEL)
          },
        },
        { highWaterMark: RESPONSE_HIGH_WATER_BYTES, size: (chunk) => chunk?.byteLength ?? 0 },
      )
      resolve(new Response(answer, { status, headers: responseHeaders }))
    })
    stream.on('error', () => {})
    stream.once('close', () => {
      if (answered) return
      done()
      if (signal?.aborted) return reject(signal.reason)
      if (bodyError !== undefined) return reject(bodyError)
      const error = connectionError(stream)
      // Refused, or cut before any answer: the upstream did not act on it (REFUSED_STREAM) or may have; only idempotent requests go again.
      reject(new UnansweredError(error))
    })

    if (body instanceof ArrayBuffer) stream.end(new Uint8Array(body))
    else if (body != null && !(body instanceof ReadableStream)) {
      // Any other BodyInit (a view, a Blob, text): read whole, as fetch would send it.
      new Response(body as BodyInit).arrayBuffer().then(
        (bytes) => stream.end(new Uint8Array(bytes)),
        (error: unknown) => {
          bodyError = error
          stream.close(constants.NGHTTP2_CANCEL)
        },
      )
    } else if (body instanceof ReadableStream) {
      sendBody(body, stream).catch((error: unknown) => {
        bodyError = error
        stream.close(constants.NGHTTP2_CANCEL)
      })
    }
  })
}

/** Writes a streamed request body to `stream`, waiting whenever the upstream's window is full. */
async function sendBody(body: ReadableStream<Uint8Array>, stream: ClientHttp2Stream): Promise<void> {
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (stream.closed || stream.destroyed) return void (await reader.cancel().catch(() => {}))
      if (done) return void stream.end()
      if (!stream.write(value)) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            stream.off('drain', go)
            stream.off('close', go)
            resolve()
          }
          stream.on('drain', go)
          stream.on('close', go)
        })
      }
    }
  } finally {
    reader.releaseLock()
  }
}

/** An answer that ended before its declared `Content-Length`. */
function truncatedError(): Error {
  return new UpstreamConnectionError('the upstream answer ended before its Content-Length', 'ECONNRESET')
}

/** Why a stream ended without its answer, as an error whose code says so. */
function connectionError(stream: ClientHttp2Stream): Error {
  const code = stream.rstCode === constants.NGHTTP2_REFUSED_STREAM ? 'REFUSED_STREAM' : stream.session?.destroyed ? 'ECONNRESET' : 'HTTP2_STREAM_RESET'
  return new UpstreamConnectionError('the upstream connection closed before the answer was complete', code)
}
