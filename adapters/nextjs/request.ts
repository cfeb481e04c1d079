/**
 * What Next.js hands a route handler differs from a plain Web request in three ways the proxy
 * must undo: `next start` builds `request.url` from its listen address, the Edge runtime appends
 * catch-all segments to the query, and the environment has Next.js's own public names.
 */
import type { EnvSource } from '../../src/config/env.ts'
import { HOST_PATTERN } from '../../src/public-url.ts'

/**
 * The environment Next.js gives at run time, with the names a Next.js app already has as
 * fallbacks: `NEXT_PUBLIC_CLERK_PROXY_URL` (absolute: the proxy URL; relative: the prefix) and
 * `NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY`; `CLERK_PROXY_NEXT_MAX_BODY` falls back to Next.js's
 * body limit (see {@link nextBodyLimit}).
 *
 * @example
 * nextEnv(undefined)('CLERK_PROXY_URL') // NEXT_PUBLIC_CLERK_PROXY_URL when only that is set
 */
export function nextEnv(source: EnvSource | undefined): EnvSource {
  const read = (name: string): string | undefined => {
    if (source) return typeof source === 'function' ? source(name) : source[name]
    const process = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    return process?.env?.[name]
  }
  return (name) => {
    const own = read(name)
    if (own !== undefined && own !== '') return own
    const publicProxyUrl = read('NEXT_PUBLIC_CLERK_PROXY_URL')
    if (name === 'CLERK_PROXY_URL' && publicProxyUrl && /^https?:\/\//i.test(publicProxyUrl)) return publicProxyUrl
    if (name === 'CLERK_PROXY_PATH' && publicProxyUrl?.startsWith('/') && !read('CLERK_PROXY_URL')) return publicProxyUrl
    if (name === 'CLERK_PUBLISHABLE_KEY') return read('NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY')
    if (name === 'CLERK_PROXY_NEXT_MAX_BODY') return nextBodyLimit(read('__NEXT_PRIVATE_STANDALONE_CONFIG'))
    return own
  }
}

/** Next.js's default `experimental.proxyClientMaxBodySize`: 10 MB, counted in binary units. */
export const NEXT_DEFAULT_MAX_BODY_BYTES: number = 10 * 1024 * 1024

/**
 * Where Next.js cuts request bodies short (`experimental.proxyClientMaxBodySize`, formerly
 * `middlewareClientMaxBodySize`). Next.js exposes its configuration at run time only in a
 * standalone build (`output: 'standalone'`), whose `server.js` puts it in
 * `__NEXT_PRIVATE_STANDALONE_CONFIG`; `next start` exposes nothing, so there the default
 * applies unless `CLERK_PROXY_NEXT_MAX_BODY` says otherwise.
 *
 * @example
 * nextBodyLimit(process.env.__NEXT_PRIVATE_STANDALONE_CONFIG) // '10485760' unless configured
 */
export function nextBodyLimit(standaloneConfig: string | undefined): string {
  let experimental: { proxyClientMaxBodySize?: unknown; middlewareClientMaxBodySize?: unknown } | undefined
  try {
    experimental = standaloneConfig ? (JSON.parse(standaloneConfig) as { experimental?: typeof experimental }).experimental : undefined
  } catch {
    experimental = undefined
  }
  const configured = experimental?.proxyClientMaxBodySize ?? experimental?.middlewareClientMaxBodySize
  return typeof configured === 'number' || typeof configured === 'string' ? String(configured) : String(NEXT_DEFAULT_MAX_BODY_BYTES)
}

/**
 * The request target without the `name=segment` pairs Next.js's Edge runtime appends for a
 * catch-all route (it renames its internal `nxtP<name>` params): only trailing pairs that
 * repeat the path's own last segments, in order, are removed, so a client's query is kept.
 * Returns `undefined` (use the URL as is) when there are none.
 *
 * @example
 * withoutCatchAllParams('http://app/__clerk/v1/client?x=1&path=v1&path=client', 'path') // '/?x=1'
 */
export function withoutCatchAllParams(url: string, name: string): string | undefined {
  const queryAt = url.indexOf('?')
  if (queryAt < 0) return undefined
  const pairs = url.slice(queryAt + 1).split('&')
  const segments = url.slice(url.indexOf('/', url.indexOf('//') + 2), queryAt).split('/')
  let n = 0
  while (n < pairs.length && n < segments.length) {
    const pair = pairs[pairs.length - 1 - n]!
    const segment = segments[segments.length - 1 - n]!
    if (segment === '' || pair !== new URLSearchParams([[name, safeDecode(segment)]]).toString()) break
    n++
  }
  if (n === 0) return undefined
  const kept = pairs.slice(0, pairs.length - n)
  return kept.length === 0 ? '/' : `/?${kept.join('&')}`
}

/**
 * Whether this runs on Next.js's (or Vercel's) Edge runtime, which defines the global
 * `EdgeRuntime` there only.
 *
 * @example
 * if (onEdgeRuntime()) { … }
 */
export function onEdgeRuntime(): boolean {
  return typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === 'string'
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/**
 * `next start` builds `request.url` from the address it listens on (`http://localhost:3000`),
 * not from the request, so a public proxy URL derived from it would be wrong. As the Node
 * adapter does, the derived origin uses the `Host` header instead (only when no proxy URL is
 * configured does it matter; on Vercel both already agree).
 *
 * @example
 * app.fetch(withHostOrigin(request))
 */
export function withHostOrigin(request: Request): Request {
  const host = request.headers.get('host')
  if (!host || !HOST_PATTERN.test(host)) return request
  const url = request.url
  const authorityStart = url.indexOf('//') + 2
  let authorityEnd = url.indexOf('/', authorityStart)
  if (authorityEnd < 0) authorityEnd = url.length
  if (url.slice(authorityStart, authorityEnd).toLowerCase() === host.toLowerCase()) return request
  const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers: request.headers, signal: request.signal, redirect: 'manual' }
  if (request.body !== null) {
    init.body = request.body
    init.duplex = 'half'
  }
  return new Request(url.slice(0, authorityStart) + host.toLowerCase() + url.slice(authorityEnd), init)
}

/**
 * `next start -H 127.0.0.1` (or `-H ::1`) breaks every same-app middleware rewrite: Next.js
 * writes loopback addresses as `localhost` in the URLs middleware sees and returns, while its
 * router compares rewrites with the address it listens on, so a rewrite to the request's own
 * URL looks external and Next.js proxies the page to itself until it answers 500 after 30 s.
 * `clerkMiddleware()` turns every `next()` into exactly such a rewrite (to pass its auth headers
 * on). When the router listens on a loopback address (`__NEXT_PRIVATE_ORIGIN`, set by
 * `next start`), a rewrite to the request's own URL is turned back into `next()`, which carries
 * the same request headers. Anything else is returned untouched.
 *
 * @example
 * return withSelfRewriteAsNext(await middleware(request), request.url, process.env.__NEXT_PRIVATE_ORIGIN)
 */
export function withSelfRewriteAsNext<T>(result: T, requestUrl: string, routerOrigin: string | undefined): T {
  if (!routerOrigin || !(result instanceof Response)) return result
  const rewrite = result.headers.get('x-middleware-rewrite')
  if (!rewrite || !/^https?:\/\/(?:127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/.test(routerOrigin)) return result
  try {
    if (new URL(rewrite).href !== new URL(requestUrl).href) return result
    result.headers.delete('x-middleware-rewrite')
    result.headers.set('x-middleware-next', '1')
  } catch {
    // Not a URL Next.js would route, or a response with immutable headers: leave it as it is.
  }
  return result
}
