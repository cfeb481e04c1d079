import { isTrustedPeer } from './client-ip.ts'
import type { ProxyConfig } from './config/proxy.ts'

/** A public proxy URL (or FAPI URL) split into its normalized parts, or why it is refused. */
export type ParsedHttpUrl =
  | { readonly ok: true; readonly origin: string; readonly path: string; readonly href: string }
  | { readonly ok: false; readonly problem: string }

/**
 * The one spelling of a configured URL used everywhere (proxy, `doctor`, `enable`): the origin
 * as WHATWG serializes it (lower-case host, no default port) + the path without a trailing
 * slash. Refused: not a URL, a scheme other than http(s), credentials, a query or a fragment.
 * Backend SDKs compare a session token's `iss` with their proxy URL byte for byte, so every
 * place must agree on one spelling. `problem` never repeats the input (it may be pasted wrong,
 * secret included).
 *
 * @example
 * parseHttpUrl('https://App.example.com:443/__clerk/') // { ok: true, href: 'https://app.example.com/__clerk', … }
 */
export function parseHttpUrl(text: string, example = 'https://app.example.com/__clerk'): ParsedHttpUrl {
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    return { ok: false, problem: `must be an absolute URL like ${example}` }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, problem: `must use https:// (or http:// for local testing), got ${url.protocol}//` }
  }
  if (url.username || url.password) return { ok: false, problem: 'must not contain credentials' }
  if (url.search || url.hash || text.includes('?') || text.includes('#')) return { ok: false, problem: 'must not contain a query string or fragment' }
  const path = url.pathname.replace(/\/+$/, '')
  return { ok: true, origin: url.origin, path, href: url.origin + path }
}

/** Reads one request header (joined if repeated), or `undefined` when absent. */
export type HeaderReader = (name: string) => string | undefined

/** A well-formed `host[:port]` (name or bracketed IPv6), as `Host`/`X-Forwarded-Host` must be. */
export const HOST_PATTERN: RegExp = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i

/**
 * The public proxy URL for a request: `CLERK_PROXY_URL` when configured; otherwise the
 * request's own origin + prefix, where `X-Forwarded-Proto`/`-Host` are honoured only when the
 * connecting peer is a trusted proxy (the value nearest to us wins, and must be well-formed).
 *
 * @example
 * publicProxyUrl(config, 'http://10.0.0.5:3000', header, '10.0.0.1') // 'https://app.example.com/__clerk'
 */
export function publicProxyUrl(
  config: ProxyConfig,
  requestOrigin: string,
  header: HeaderReader,
  peerIp: string | undefined,
): string {
  if (config.proxyUrl !== undefined) return config.proxyUrl
  if (!isTrustedPeer(peerIp, config.trustProxy)) return requestOrigin + config.proxyPath
  const proto = lastListValue(header('x-forwarded-proto'))?.toLowerCase()
  const host = lastListValue(header('x-forwarded-host'))
  const schemeEnd = requestOrigin.indexOf('://')
  const scheme = proto === 'https' || proto === 'http' ? proto : requestOrigin.slice(0, schemeEnd)
  const authority = host !== undefined && HOST_PATTERN.test(host) ? host.toLowerCase() : requestOrigin.slice(schemeEnd + 3)
  return `${scheme}://${authority}${config.proxyPath}`
}

function lastListValue(value: string | undefined): string | undefined {
  if (!value) return undefined
  const last = value.slice(value.lastIndexOf(',') + 1).trim()
  return last === '' ? undefined : last
}

/**
 * Rewrites a `Location` that points at the Frontend API (absolute, protocol-relative or
 * path-absolute, under the FAPI base path) onto the public proxy URL; any other `Location`
 * (another host, a relative path) is returned unchanged.
 *
 * @example
 * rewriteLocation(config, 'https://frontend-api.clerk.dev/v1/oauth_callback?x=1', 'https://app.example.com/__clerk')
 * // 'https://app.example.com/__clerk/v1/oauth_callback?x=1'
 */
export function rewriteLocation(config: ProxyConfig, location: string, proxyUrl: string): string {
  let rest: string
  if (location.startsWith('//')) {
    const schemeless = config.fapiOrigin.slice(config.fapiOrigin.indexOf('//'))
    if (!startsWithAuthority(location, schemeless)) return location
    rest = location.slice(schemeless.length)
  } else if (location.startsWith('/')) {
    rest = location
  } else if (startsWithAuthority(location, config.fapiOrigin)) {
    rest = location.slice(config.fapiOrigin.length)
  } else {
    return location
  }
  const base = config.fapiBasePath
  if (base !== '') {
    if (!rest.startsWith(base)) return location
    const next = rest.charCodeAt(base.length)
    if (rest.length > base.length && next !== 47 && next !== 63 && next !== 35) return location
    rest = rest.slice(base.length)
  }
  return proxyUrl + rest
}

/** Whether `url` begins with `origin` followed by the end, a path, a query or a fragment. */
function startsWithAuthority(url: string, origin: string): boolean {
  if (url.length < origin.length || url.slice(0, origin.length).toLowerCase() !== origin.toLowerCase()) return false
  if (url.length === origin.length) return true
  const next = url.charCodeAt(origin.length)
  return next === 47 /* / */ || next === 63 /* ? */ || next === 35 /* # */
}
