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
import { DEFAULT_UPSTREAM, type UpstreamConfig } from '../../src/config/upstream.ts'
import type { ProxyConfig } from '../../src/config/proxy.ts'
import type { FetchTransport } from '../../src/forward-fetch.ts'
import { OriginConnection } from './http2-connection.ts'
import { requestOnSession, UnansweredError } from './http2-request.ts'

/** Where the Frontend API is: what {@link BunUpstreamTransport.configure} connects to. */
export type FapiLocation = Pick<ProxyConfig, 'fapiOrigin' | 'fapiBasePath'>
/** How long a warm-up request of the HTTP/1.1 fallback may take (3 RTT on a new connection). */
const WARM_REQUEST_TIMEOUT_MS = 10_000

/** Bun's `fetch` options beyond the standard ones. */
type BunFetchInit = RequestInit & { decompress?: boolean }
declare const fetch: ((url: string, init: BunFetchInit) => Promise<Response>) & { preconnect?(url: string): void }

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
    // Parsed once: the origin picks the session, the path and authority make the stream's head.
    const target = new URL(url)
    const origin = this.originOf(target.origin)
    if (origin.protocol === 'http/1.1') return this.fetchHttp1(url, init)
    return this.fetchHttp2(origin, url, target, init, true)
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
  private async fetchHttp2(origin: OriginConnection, url: string, target: URL, init: RequestInit, mayRetry: boolean): Promise<Response> {
    // A request waiting for the connection still ends with its own timeout or its client's departure.
    const session = await untilAborted(origin.current(), init.signal ?? undefined)
    if (!session) return this.fetchHttp1(url, init)
    try {
      return await requestOnSession(session, target, init)
    } catch (error) {
      const method = init.method ?? 'GET'
      const resendable = mayRetry && (method === 'GET' || method === 'HEAD') && init.body == null && !init.signal?.aborted
      if (!resendable || !(error instanceof UnansweredError)) throw error instanceof UnansweredError ? error.cause : error
      // On the same session when only the stream was refused; a closed one is replaced first.
      return this.fetchHttp2(origin, url, target, init, false)
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
