import type { ProxyConfig } from './config/proxy.ts'

/** A request URL cut into the parts the proxy uses, without parsing or re-encoding them. */
export interface RequestTarget {
  /** `scheme://authority` as the runtime serialized it. */
  readonly origin: string
  /** The path, already normalized by the runtime's URL parser (no dot segments). */
  readonly path: string
  /** `?…` exactly as received (empty when there is none); never the fragment. */
  readonly query: string
}

/**
 * Splits an absolute request URL (`request.url`) into origin, path and raw query.
 *
 * @example
 * splitRequestUrl('https://app.example.com/__clerk/v1/client?a=%20b')
 * // { origin: 'https://app.example.com', path: '/__clerk/v1/client', query: '?a=%20b' }
 */
export function splitRequestUrl(url: string): RequestTarget {
  const authorityStart = url.indexOf('//') + 2
  let pathStart = url.indexOf('/', authorityStart)
  let end = url.indexOf('#', authorityStart)
  if (end < 0) end = url.length
  let queryStart = url.indexOf('?', authorityStart)
  if (queryStart < 0 || queryStart > end) queryStart = end
  if (pathStart < 0 || pathStart > queryStart) pathStart = queryStart
  return {
    origin: url.slice(0, pathStart),
    path: pathStart === queryStart ? '/' : url.slice(pathStart, queryStart),
    query: url.slice(queryStart, end),
  }
}

/**
 * The part of `path` after the proxy prefix, respecting the segment boundary: `/__clerk` and
 * `/__clerk/…` match, `/__clerkx` does not. Returns `undefined` when the path is outside it.
 *
 * @example
 * pathAfterPrefix('/__clerk/v1/client', '/__clerk') // '/v1/client'
 * pathAfterPrefix('/__clerkx', '/__clerk')          // undefined
 */
export function pathAfterPrefix(path: string, prefix: string): string | undefined {
  if (prefix === '') return path
  if (!path.startsWith(prefix)) return undefined
  if (path.length === prefix.length) return ''
  return path.charCodeAt(prefix.length) === 47 /* '/' */ ? path.slice(prefix.length) : undefined
}

/**
 * The Frontend API URL for a proxied request: FAPI origin + FAPI base path + the rest of the
 * path + the raw query. The rest always starts with `/` (or is empty), so no input can change
 * the host: `//evil.example` stays a path on the FAPI host.
 *
 * @example
 * upstreamUrl(config, '/v1/client', '?_clerk_js_version=5') // 'https://frontend-api.clerk.dev/v1/client?_clerk_js_version=5'
 */
export function upstreamUrl(config: ProxyConfig, rest: string, query: string): string {
  const path = config.fapiBasePath + rest
  return config.fapiOrigin + (path === '' ? '/' : path) + query
}
