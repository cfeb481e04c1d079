import type { HttpBindings } from '@hono/node-server'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Transform, type Readable } from 'node:stream'
import { errors as undiciErrors, type Dispatcher } from 'undici'
import type { Forwarder } from '../app.ts'
import type { ProxyConfig } from '../config/proxy.ts'
import { DEFAULT_UPSTREAM, type UpstreamConfig } from '../config/upstream.ts'
import { bodyAlreadyReadResponse } from '../errors.ts'
import { connectionTokens, upstreamRequestHeaderList } from '../headers.ts'
import { BodyTooLargeError, payloadTooLargeResponse } from '../request-limits.ts'
import { responseHeaderValue, type ResponseShaping } from '../response-headers.ts'
import type { UpstreamConnectivity } from '../readiness.ts'
import { REQUEST_ID_HEADER } from '../request-id.ts'
import { upstreamFailureResponse } from '../upstream-error.ts'
import { UpstreamPool, type UpstreamConnectionEvents, type UpstreamNotices } from './upstream-pool.ts'

export type { UpstreamConnectionEvents } from './upstream-pool.ts'

/** What the Node forwarder recorded about one response, for the access log. */
export interface UpstreamTiming {
  /** Milliseconds from sending the request to receiving Clerk's response headers. */
  upstreamMs: number
  /** Body bytes sent to the client (known length, or counted while streaming). */
  bytes: number
}

/** The key under which the forwarder leaves an {@link UpstreamTiming} on the `ServerResponse`. */
export const UPSTREAM_TIMING: unique symbol = Symbol('clerk-proxy.upstream-timing')

/**
 * Where the standalone server leaves the request id for the relay to send with Clerk's
 * headers: a `setHeader` beforehand would put every `writeHead` on Node's slow path.
 */
export const REQUEST_ID: unique symbol = Symbol('clerk-proxy.request-id')

/** A `ServerResponse` the forwarder may annotate with its timing (and the server with a request id). */
export type TimedResponse = ServerResponse & { [UPSTREAM_TIMING]?: UpstreamTiming; [REQUEST_ID]?: string }

const ALREADY_SENT: Response = new Response(null, { headers: { 'x-hono-already-sent': '1' } })

/**
 * A forwarder for `@hono/node-server` that streams Node's request straight into an undici
 * connection pool and Clerk's answer straight into Node's response: no Web stream conversion,
 * no decoding (compressed assets stay compressed), back-pressure both ways, and the client's
 * disconnect aborting the upstream request.
 *
 * It talks to the pool through `Pool.dispatch` with a handler of its own rather than
 * `Pool.request`: the answer's raw headers are shaped once into the record for `writeHead` and its chunks go to
 * `write`, without the parsed header object, the body `Readable`, `stream.pipeline` (which
 * builds an `AbortController` and a `DOMException` per call) or an `AbortSignal` per request.
 * bench/RESULTS.md measures the transports side by side.
 *
 * Connections come from an {@link UpstreamPool} per Frontend API origin (pre-connected,
 * HTTP/2 where offered, reopened ahead of need; `config.upstream`). A GET or HEAD that meets a
 * connection the upstream has just closed is sent once more on a fresh one. `hooks.connections`
 * hears of every connection the pool puts to use or closes; `isConnected()` says whether one is
 * open (readiness); `hooks.notices` tells when the Frontend API cannot be reached.
 *
 * @example
 * const forward = nodeForwarder()
 * forward.warm(resolveConfig({ env: process.env })) // connect before the first request
 * const app = clerkProxy({ forward, peerAddress: (c) => c.env.incoming.socket.remoteAddress })
 */
export function nodeForwarder(hooks: NodeForwarderHooks = {}): NodeForwarder {
  const pools = new Map<string, UpstreamPool>()
  const poolFor = (origin: string): UpstreamPool => {
    let pool = pools.get(origin)
    if (!pool) pools.set(origin, (pool = new UpstreamPool(origin, hooks.upstream ?? DEFAULT_UPSTREAM, hooks.notices, hooks.connections)))
    return pool
  }

  const forward: Forwarder = (c, route, config) => {
    const { incoming, outgoing } = c.env as HttpBindings
    const hasBody = requestHasBody(incoming)
    // A middleware in front (Hono's c.req.json(), …) read the stream to its end: nothing left to send.
    if (hasBody && incoming.readableEnded) return Promise.resolve(bodyAlreadyReadResponse())
    const headers = upstreamRequestHeaderList(incoming.rawHeaders, {
      proxyUrl: route.proxyUrl,
      secretKey: config.secretKey,
      clientIp: route.clientIp,
    })
    return new Promise<Response>((resolve) => {
      const relay = new ResponseRelay(outgoing as TimedResponse, { config, proxyUrl: route.proxyUrl, bodyDecoded: false }, resolve)
      const method = incoming.method ?? 'GET'
      const request: Dispatcher.DispatchOptions = {
        path: route.url.slice(config.fapiOrigin.length),
        method,
        headers,
        body: hasBody ? limitedBody(incoming, config.maxBodyBytes, (error) => relay.abort(error)) : null,
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
      }
      const pool = poolFor(config.fapiOrigin)
      // Only a request without a body can be sent again: nothing of it is lost with the connection.
      if (method === 'GET' || method === 'HEAD') relay.resend = () => pool.dispatch(request, relay)
      pool.dispatch(request, relay)
    })
  }
  return Object.assign(forward, {
    warm(config: ProxyConfig): void {
      poolFor(config.fapiOrigin).warm()
    },
    async fetch(url: string, init: RequestInit): Promise<Response> {
      const target = new URL(url)
      const answer = await poolFor(target.origin).request({
        path: target.pathname + target.search,
        method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
        signal: init.signal ?? undefined,
        // undici closes an HTTP/1.1 connection after a HEAD unless told not to: keep the warm one.
        reset: false,
      })
      await answer.body.dump()
      return new Response(null, { status: answer.statusCode })
    },
    isConnected: (): boolean => [...pools.values()].some((pool) => pool.isConnected()),
    async close(): Promise<void> {
      await Promise.all([...pools.values()].map((pool) => pool.close()))
      pools.clear()
    },
  })
}

/** How the Node forwarder keeps its upstream connections, and who hears about them. */
export interface NodeForwarderHooks {
  /** The pool's settings (`resolveUpstreamConfig`); the defaults when absent. */
  readonly upstream?: UpstreamConfig
  /** Told when the Frontend API cannot be reached, and when it can again (the server logs it). */
  readonly notices?: UpstreamNotices
  /** Told of every connection put to use or closed (metrics). */
  readonly connections?: UpstreamConnectionEvents
}

/** The Node forwarder, plus pre-connecting, readiness and closing its upstream connections. */
export interface NodeForwarder extends Forwarder, UpstreamConnectivity {
  /** Opens the connection to `config`'s Frontend API now, before the first request (unless pre-connecting is off). */
  warm(config: ProxyConfig): void
  /**
   * A `fetch` for the proxy's own bodiless requests (the readiness and start-up probes) through
   * the same pool as the proxied ones: only the method and URL are sent, the answer is
   * `status` with no body.
   */
  fetch(url: string, init: RequestInit): Promise<Response>
  /** Closes every upstream connection. */
  close(): Promise<void>
}

/**
 * True for an error that means the connection was gone before the upstream answered: closed
 * or reset by the upstream (idle close racing the request), an HTTP/2 GOAWAY or a stream the
 * upstream refused. Timeouts are not among them: the upstream may be working on the request.
 */
function isLostConnection(error: Error): boolean {
  if (error instanceof undiciErrors.SocketError || error instanceof undiciErrors.ClientClosedError) return true
  const code = (error as { code?: unknown }).code
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_HTTP2_STREAM_ERROR' || code === 'ERR_HTTP2_GOAWAY_SESSION'
}

/** True when the client's request carries a body to stream upstream. */
function requestHasBody(incoming: IncomingMessage): boolean {
  const method = incoming.method
  if (method === 'GET' || method === 'HEAD') return false
  return incoming.headers['transfer-encoding'] !== undefined || Number(incoming.headers['content-length'] ?? 0) > 0
}

/**
 * The request body to stream upstream: as is, or (chunked, without a declared length) counted
 * on the way so that more than `maxBodyBytes` stops the upload and calls `tooLarge`.
 */
function limitedBody(incoming: IncomingMessage, maxBodyBytes: number, tooLarge: (error: BodyTooLargeError) => void): Readable {
  if (incoming.headers['transfer-encoding'] === undefined || maxBodyBytes === Infinity) return incoming
  let seen = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length
      if (seen <= maxBodyBytes) return done(null, chunk)
      const error = new BodyTooLargeError(maxBodyBytes)
      incoming.unpipe(counter)
      incoming.pause()
      tooLarge(error)
      done(error)
    },
  })
  return incoming.pipe(counter)
}

/**
 * An undici dispatch handler that relays one upstream answer into Node's `ServerResponse`:
 * shaped headers once, then each chunk with back-pressure. It settles the forwarder's promise
 * with {@link ALREADY_SENT} once the headers are written, or with Clerk-shaped 502/504 when
 * the upstream fails before that; a failure after the headers closes the connection.
 */
class ResponseRelay implements Dispatcher.DispatchHandler {
  private abortUpstream: ((reason: Error) => void) | undefined
  private abortReason: Error | undefined
  private headersSent = false
  private countBytes = false
  /** Sends the request again; set for requests that are safe to repeat, cleared once used. */
  resend: (() => void) | undefined
  // Hono answers HEAD by wrapping the route's Response in a new one, which @hono/node-server
  // then writes itself: for HEAD the relay hands over a Response instead of writing the head.
  private readonly headOnly: boolean
  private readonly started = performance.now()
  private readonly timing: UpstreamTiming = { upstreamMs: 0, bytes: 0 }

  constructor(
    private readonly outgoing: TimedResponse,
    private readonly shaping: ResponseShaping,
    private readonly settle: (response: Response) => void,
  ) {
    this.headOnly = outgoing.req?.method === 'HEAD'
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) this.abort(new Error('client disconnected'))
    })
  }

  /** Stops the upstream request (now, or as soon as undici hands over its abort). */
  abort(reason: Error): void {
    this.abortReason ??= reason
    this.abortUpstream?.(reason)
  }

  onConnect(abort: (reason: Error) => void): void {
    this.abortUpstream = abort
    if (this.abortReason) abort(this.abortReason)
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // Informational answers (100 Continue, 103 Early Hints) are not relayed, as before.
    if (statusCode < 200) return true
    const { outgoing, timing } = this
    timing.upstreamMs = performance.now() - this.started
    outgoing[UPSTREAM_TIMING] = timing
    const { headers, contentLength } = clientHeaderRecord(rawHeaders, this.shaping)
    // The server's request id (or one middleware before the proxy set) wins over Clerk's.
    const requestId = outgoing[REQUEST_ID]
    if (requestId !== undefined) headers[REQUEST_ID_HEADER] = requestId
    else if (outgoing.hasHeader(REQUEST_ID_HEADER)) delete headers[REQUEST_ID_HEADER]
    if (contentLength === undefined) this.countBytes = true
    else timing.bytes = Number(contentLength)
    this.headersSent = true
    if (this.headOnly) {
      this.settle(new Response(null, { status: statusCode, headers: webHeaders(headers) }))
      return true
    }
    outgoing.on('drain', resume)
    outgoing.writeHead(statusCode, headers)
    this.settle(ALREADY_SENT)
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.countBytes) this.timing.bytes += chunk.length
    return this.outgoing.write(chunk)
  }

  onComplete(): void {
    if (!this.headOnly) this.outgoing.end()
  }

  onError(error: Error): void {
    if (!this.headersSent && this.resend && this.abortReason === undefined && isLostConnection(error)) {
      const resend = this.resend
      this.resend = undefined
      return resend()
    }
    if (this.headersSent) {
      // Headers are gone: the only honest signal left for a broken body is a closed connection.
      if (!this.outgoing.destroyed) this.outgoing.destroy()
      return
    }
    const maxBodyBytes = this.shaping.config.maxBodyBytes
    if (this.abortReason instanceof BodyTooLargeError || error instanceof BodyTooLargeError) return this.settle(payloadTooLargeResponse(maxBodyBytes))
    const timedOut = error instanceof undiciErrors.HeadersTimeoutError
    this.outgoing[UPSTREAM_TIMING] = { upstreamMs: performance.now() - this.started, bytes: 0 }
    this.settle(upstreamFailureResponse(timedOut ? 'timeout' : 'failed', this.shaping.config.timeoutMs, error))
  }
}

type NodeHeaders = Record<string, string | string[]>

/** A header record as Web `Headers`, each array value appended as its own entry. */
function webHeaders(record: NodeHeaders): Headers {
  const headers = new Headers()
  for (const name in record) {
    const value = record[name]!
    if (Array.isArray(value)) for (const one of value) headers.append(name, one)
    else headers.append(name, value)
  }
  return headers
}

/**
 * The client-facing headers from undici's raw `[name, value, …]` buffers, shaped by
 * `responseHeaderValue`, as the record `writeHead` takes: names lower-cased, a repeated header
 * (every `Set-Cookie`) kept as an array so each stays its own line, also when the response
 * already carries headers set by middleware (Express), where `writeHead` merges through
 * `setHeader`. Also returns the upstream `Content-Length`, for the access log.
 */
function clientHeaderRecord(raw: readonly Buffer[], shaping: ResponseShaping): { headers: NodeHeaders; contentLength: string | undefined } {
  const names: string[] = new Array(raw.length >> 1)
  let extra: ReadonlySet<string> | undefined
  let contentLength: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase()
    names[i >> 1] = name
    if (name === 'connection') extra = connectionTokens(raw[i + 1]!.toString('latin1'))
  }
  const headers: NodeHeaders = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = names[i >> 1]!
    if (extra?.has(name)) continue
    const value = raw[i + 1]!.toString('latin1')
    if (name === 'content-length') contentLength = value
    const kept = responseHeaderValue(name, value, shaping)
    if (kept === undefined) continue
    const earlier = headers[name]
    if (earlier === undefined) headers[name] = kept
    else if (Array.isArray(earlier)) earlier.push(kept)
    else headers[name] = [earlier, kept]
  }
  return { headers, contentLength }
}

/**
 * Reads a request header from Node's parsed headers, joining repeats as fetch would.
 *
 * @example
 * clerkProxy({ readHeader: readNodeHeader }) // inside a @hono/node-server app
 */
export function readNodeHeader(c: { env: unknown }, name: string): string | undefined {
  const value = (c.env as HttpBindings).incoming.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * The socket address of the connecting peer.
 *
 * @example
 * clerkProxy({ peerAddress: nodePeerAddress }) // inside a @hono/node-server app
 */
export function nodePeerAddress(c: { env: unknown }): string | undefined {
  return (c.env as HttpBindings).incoming.socket.remoteAddress
}

/** The request target exactly as the client sent it. */
export function nodeRawTarget(c: { env: unknown }): string | undefined {
  return (c.env as HttpBindings).incoming.url
}
