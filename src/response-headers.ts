import type { ProxyConfig } from './config/proxy.ts'
import { connectionTokens, DROPPED_RESPONSE_HEADERS } from './headers.ts'
import { rewriteLocation } from './public-url.ts'

/** What the client-facing response needs to know about the upstream answer. */
export interface ResponseShaping {
  readonly config: ProxyConfig
  /** The public proxy URL `Location`s are rewritten onto. */
  readonly proxyUrl: string
  /**
   * True when the transport already decoded the body (fetch on Node, Deno, workerd): then
   * `Content-Encoding` and `Content-Length` describe bytes the client will not receive and
   * are dropped.
   */
  readonly bodyDecoded: boolean
}

/**
 * The value to send for one upstream response header, or `undefined` to drop it.
 * `name` must be lower-case.
 *
 * @example
 * responseHeaderValue('location', 'https://frontend-api.clerk.dev/v1/x', shaping) // 'https://app.example.com/__clerk/v1/x'
 */
export function responseHeaderValue(name: string, value: string, shaping: ResponseShaping): string | undefined {
  if (DROPPED_RESPONSE_HEADERS.has(name)) return undefined
  if (name === 'location') return rewriteLocation(shaping.config, value, shaping.proxyUrl)
  if (shaping.bodyDecoded && (name === 'content-encoding' || name === 'content-length')) return undefined
  return value
}

/**
 * The client-facing headers for an upstream `Response`: hop-by-hop and `Connection`-named
 * headers dropped, `Location` rewritten, every `Set-Cookie` kept as its own header, and the
 * encoding headers true to the bytes sent.
 *
 * @example
 * new Response(upstream.body, { status: upstream.status, headers: clientResponseHeaders(upstream.headers, shaping) })
 */
export function clientResponseHeaders(upstream: Headers, shaping: ResponseShaping): Headers {
  return new Headers(clientResponseHeaderPairs(upstream, shaping))
}

/**
 * {@link clientResponseHeaders} as `[name, value]` pairs, which `new Response()` takes as they
 * are: the runtime builds its header list in one call instead of one call per header.
 *
 * @example
 * new Response(upstream.body, { status: upstream.status, headers: clientResponseHeaderPairs(upstream.headers, shaping) })
 */
export function clientResponseHeaderPairs(upstream: Headers, shaping: ResponseShaping): [string, string][] {
  const extra = connectionTokens(upstream.get('connection'))
  // A body a fetch left encoded-as-labelled needs no change; a decoded one loses its labels.
  const decoded = shaping.bodyDecoded && upstream.has('content-encoding')
  const effective = decoded === shaping.bodyDecoded ? shaping : { ...shaping, bodyDecoded: decoded }
  const pairs: [string, string][] = []
  let cookies = false
  upstream.forEach((value, name) => {
    if (name === 'set-cookie') cookies = true
    else if (!extra?.has(name)) {
      const out = responseHeaderValue(name, value, effective)
      if (out !== undefined) pairs.push([name, out])
    }
  })
  // Each Set-Cookie must stay its own header: read them apart with the API made for it.
  if (cookies) for (const cookie of upstream.getSetCookie()) pairs.push(['set-cookie', cookie])
  return pairs
}

/**
 * Drops a `Connection` header from a response, for a server that decides itself whether a
 * connection closes (Deno adds `connection: close` when it will, e.g. with a request body left
 * unread), so the proxy's own would be sent a second time.
 *
 * @example
 * Deno.serve(async (request) => withoutConnectionHeader(await app.fetch(request)))
 */
export function withoutConnectionHeader(response: Response): Response {
  if (!response.headers.has('connection')) return response
  try {
    response.headers.delete('connection')
    return response
  } catch {
    // Immutable headers (a fetch() response): copy them.
    const headers = new Headers(response.headers)
    headers.delete('connection')
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }
}
