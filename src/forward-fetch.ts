import { withIdleTimeout } from './body-timeout.ts'
import type { ProxyConfig } from './config.ts'
import { upstreamRequestHeaders } from './headers.ts'
import { BodyTooLargeError, limitBodyStream, payloadTooLargeResponse } from './request-limits.ts'
import { clientResponseHeaders } from './response-headers.ts'
import { upstreamFailureResponse, UpstreamTimeoutError } from './upstream-error.ts'

/** A `fetch`-compatible function, plus whether it decodes compressed bodies. */
export interface FetchTransport {
  /** The function that sends the request upstream; `globalThis.fetch` by default. */
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>
  /**
   * False when `fetch` hands back compressed bytes untouched (Bun with `decompress: false`);
   * true (the default) when it decodes them, as fetch on Node, Deno and workerd does.
   */
  readonly decodesBody: boolean
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
 * @example
 * const response = await forwardWithFetch(request, route, config, { fetch, decodesBody: true })
 */
export async function forwardWithFetch(
  request: Request,
  route: UpstreamRoute,
  config: ProxyConfig,
  transport: FetchTransport,
): Promise<Response> {
  const controller = new AbortController()
  const clientSignal = request.signal
  const onClientAbort = (): void => controller.abort(clientSignal.reason)
  if (clientSignal.aborted) onClientAbort()
  else clientSignal.addEventListener('abort', onClientAbort, { once: true })
  const timer = setTimeout(() => controller.abort(new UpstreamTimeoutError(config.timeoutMs)), config.timeoutMs)

  const method = request.method
  const hasBody = method !== 'GET' && method !== 'HEAD' && request.body !== null
  let body: ReadableStream<Uint8Array> | null = hasBody ? request.body : null
  // A declared Content-Length was checked up front; a body without one is counted as it streams.
  if (body && !request.headers.has('content-length')) body = limitBodyStream(body, config.maxBodyBytes, (e) => controller.abort(e))
  const init: RequestInit & { duplex?: 'half' } = {
    method,
    headers: upstreamRequestHeaders(request.headers, {
      proxyUrl: route.proxyUrl,
      secretKey: config.secretKey,
      clientIp: route.clientIp,
    }),
    body,
    redirect: 'manual',
    signal: controller.signal,
  }
  if (hasBody) init.duplex = 'half'

  let upstream: Response
  try {
    upstream = await transport.fetch(route.url, init)
  } catch (error) {
    clientSignal.removeEventListener('abort', onClientAbort)
    const reason: unknown = controller.signal.reason
    if (reason instanceof BodyTooLargeError) return payloadTooLargeResponse(config.maxBodyBytes)
    const failure = reason instanceof UpstreamTimeoutError ? 'timeout' : clientSignal.aborted ? 'client_aborted' : 'failed'
    return upstreamFailureResponse(failure, config.timeoutMs, error)
  } finally {
    clearTimeout(timer)
  }
  const headers = clientResponseHeaders(upstream.headers, {
    config,
    proxyUrl: route.proxyUrl,
    bodyDecoded: transport.decodesBody,
  })
  // The head arrived in time; a body that then stalls for as long ends with a closed connection.
  const responseBody = upstream.body && withIdleTimeout(upstream.body, config.timeoutMs, () => controller.abort(new UpstreamTimeoutError(config.timeoutMs)))
  return new Response(responseBody, { status: upstream.status, statusText: upstream.statusText, headers })
}
