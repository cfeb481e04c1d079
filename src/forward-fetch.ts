import { withIdleTimeout } from './body-timeout.ts'
import type { ProxyConfig } from './config/proxy.ts'
import { bodyAlreadyReadResponse } from './errors.ts'
import { upstreamRequestHeaderPairs } from './headers.ts'
import { BodyRefusedError, upstreamBody } from './request-body.ts'
import { BodyTooLargeError, payloadTooLargeResponse } from './request-limits.ts'
import { clientResponseHeaderPairs } from './response-headers.ts'
import { upstreamFailureResponse, UpstreamTimeoutError } from './upstream-error.ts'

/** A `fetch`-compatible function, plus whether it decodes compressed bodies. */
export interface FetchTransport {
  /**
   * The function that sends the request upstream; `globalThis.fetch` by default. `init.headers`
   * is a list of `[name, value]` pairs (copy it into `new Headers()` to change it).
   */
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>
  /**
   * False when `fetch` hands back compressed bytes untouched (Bun with `decompress: false`);
   * true (the default) when it decodes them, as fetch on Node, Deno and workerd does.
   */
  readonly decodesBody: boolean
  /**
   * True when `fetch` ends an upstream request body normally when its source stream errors
   * (workerd): the proxy then aborts the upstream request itself when the client's body breaks,
   * so Clerk never receives a cut body as complete. Elsewhere fetch aborts on its own (and
   * Deno's keeps its upstream connection open when aborted while it still writes the body).
   */
  readonly endsBrokenBodies?: boolean
}

/** Everything the proxy decided about one request before it goes upstream. */
export interface UpstreamRoute {
  /** The full Frontend API URL. */
  readonly url: string
  /** The public proxy URL sent as `Clerk-Proxy-Url` and used to rewrite `Location`. */
  readonly proxyUrl: string
  /** The resolved end-user IP sent as `X-Forwarded-For`. */
  readonly clientIp: string | undefined
}

/**
 * Forwards a Web `Request` to Clerk with `fetch` and shapes the answer for the client:
 * headers rewritten, body streamed both ways, redirects not followed, the client's
 * disconnect and the timeout both abort the upstream request.
 *
 * The timeout rule: the response head must arrive within `timeoutMs` (else 504). A small
 * answer ({@link isSmallBody}: a declared length up to 64 KiB, nearly every Frontend API
 * answer) must arrive whole within that same `timeoutMs`, else 504 too: it is read into one
 * buffer, which the runtime sends without a per-chunk JS stream. Any other body streams, and
 * a stall of `timeoutMs` between chunks (the upstream's, not a slow client's) closes it.
 *
 * `framedBodies`: the request came straight from the runtime's own HTTP server, which holds a
 * body to its declared length (see `upstreamBody`).
 *
 * @example
 * const response = await forwardWithFetch(request, route, config, { fetch, decodesBody: true })
 */
export async function forwardWithFetch(
  request: Request,
  route: UpstreamRoute,
  config: ProxyConfig,
  transport: FetchTransport,
  framedBodies = false,
): Promise<Response> {
  const method = request.method
  const hasBody = method !== 'GET' && method !== 'HEAD' && request.body !== null
  if (hasBody && request.bodyUsed) return bodyAlreadyReadResponse()
  const controller = new AbortController()
  const clientSignal = request.signal
  const onClientAbort = (): void => controller.abort(clientSignal.reason)
  if (clientSignal.aborted) onClientAbort()
  else clientSignal.addEventListener('abort', onClientAbort, { once: true })
  const timer = setTimeout(() => controller.abort(new UpstreamTimeoutError(config.timeoutMs)), config.timeoutMs)

  const fail = (error: unknown): Response => {
    clientSignal.removeEventListener('abort', onClientAbort)
    clearTimeout(timer)
    const reason: unknown = controller.signal.reason
    if (reason instanceof BodyTooLargeError) return payloadTooLargeResponse(config.maxBodyBytes)
    if (reason instanceof BodyRefusedError) return reason.response
    const failure = reason instanceof UpstreamTimeoutError ? 'timeout' : clientSignal.aborted ? 'client_aborted' : 'failed'
    return upstreamFailureResponse(failure, config.timeoutMs, error)
  }

  // Held to its declared length and the limits: a body the framework in front cut short must never reach Clerk as whole.
  let body: ArrayBuffer | ReadableStream<Uint8Array> | null = null
  if (hasBody) {
    try {
      body = await upstreamBody(request, config, controller.signal, (error) => {
        const refused = error instanceof BodyRefusedError || error instanceof BodyTooLargeError
        if (refused || transport.endsBrokenBodies) controller.abort(error)
      }, framedBodies)
    } catch (error) {
      return fail(error)
    }
  }
  const init: RequestInit & { duplex?: 'half' } = {
    method,
    headers: upstreamRequestHeaderPairs(request.headers, {
      proxyUrl: route.proxyUrl,
      secretKey: config.secretKey,
      clientIp: route.clientIp,
    }),
    body,
    redirect: 'manual',
    signal: controller.signal,
  }
  if (body instanceof ReadableStream) init.duplex = 'half'


  let upstream: Response
  const sentAt = performance.now()
  try {
    upstream = await transport.fetch(route.url, init)
  } catch (error) {
    return fail(error)
  }
  upstreamTimings.set(request, performance.now() - sentAt)
  const headers = clientResponseHeaderPairs(upstream.headers, {
    config,
    proxyUrl: route.proxyUrl,
    bodyDecoded: transport.decodesBody,
  })
  const answer = { status: upstream.status, statusText: upstream.statusText, headers }
  if (upstream.body === null) {
    clearTimeout(timer)
    return new Response(null, answer)
  }
  if (method !== 'HEAD' && isSmallBody(upstream.headers, transport.decodesBody)) {
    // Read whole under the timer still running since the request started: no stream to watch,
    // and the runtime answers from one buffer (its fastest path).
    try {
      const bytes = await upstream.arrayBuffer()
      clearTimeout(timer)
      return new Response(bytes, answer)
    } catch (error) {
      return fail(error)
    }
  }
  clearTimeout(timer)
  // The head arrived in time; a body that then stalls for as long ends with a closed connection.
  const watched = withIdleTimeout(upstream.body, config.timeoutMs, () => controller.abort(new UpstreamTimeoutError(config.timeoutMs)))
  return new Response(watched, answer)
}

// Time to Clerk's response headers per client request, for the access log and metrics.
const upstreamTimings = new WeakMap<Request, number>()

/**
 * Milliseconds from sending `request` upstream until Clerk's response headers arrived;
 * `undefined` when it did not go upstream or got no answer.
 *
 * @example
 * const response = await app.fetch(request)
 * upstreamHeadersMs(request) // 41.7
 */
export function upstreamHeadersMs(request: Request): number | undefined {
  return upstreamTimings.get(request)
}

/**
 * Upstream answers up to this many bytes, with a declared length, are read whole before the
 * client's answer starts: almost every Frontend API answer is a JSON body of a few KiB.
 */
export const BUFFERED_BODY_LIMIT: number = 64 * 1024

/**
 * Whether an upstream body is small enough to read whole: a declared `Content-Length` of at
 * most {@link BUFFERED_BODY_LIMIT} that counts the bytes the transport hands over (not a
 * compressed length a decoding fetch will expand).
 *
 * @example
 * isSmallBody(new Headers({ 'content-length': '2542' }), false) // true
 */
export function isSmallBody(headers: Headers, decodesBody: boolean): boolean {
  const declared = headers.get('content-length')
  if (declared === null || (decodesBody && headers.has('content-encoding'))) return false
  const length = Number(declared)
  return length >= 0 && length <= BUFFERED_BODY_LIMIT
}
