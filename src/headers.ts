/** Hop-by-hop headers (RFC 9110 §7.6.1) plus what a proxy must never pass on as is. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

/**
 * Request headers the proxy never forwards from the client: hop-by-hop ones, `Host` and
 * `Expect` (the proxy speaks for itself upstream), the three the proxy always sets, and every
 * header that claims a client address or origin, so nothing the client writes can decide what
 * IP Clerk sees or where Clerk thinks the proxy is.
 */
export const DROPPED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  'host',
  'expect',
  'clerk-proxy-url',
  'clerk-secret-key',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'cf-connecting-ipv6',
  'fastly-client-ip',
  'x-original-forwarded-for',
  // A client's request id must not reach Clerk looking like the proxy's (see request-id.ts).
  'x-request-id',
])

/**
 * Whether a client request header must not be forwarded. A name spelled with `_` for `-`
 * (`Clerk_Secret_Key`) is judged as the dashed name: CGI-style servers read both as the same
 * variable, so it could stand in for a header the proxy owns.
 */
function isDroppedRequestHeader(name: string, extra: ReadonlySet<string> | undefined): boolean {
  if (DROPPED_REQUEST_HEADERS.has(name) || extra?.has(name)) return true
  return name.includes('_') && DROPPED_REQUEST_HEADERS.has(name.replaceAll('_', '-'))
}

/** Response headers never passed back to the client. */
export const DROPPED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'clerk-secret-key'])

// Nearly every request and answer says just `keep-alive` or `close`: answer those from a table
// instead of splitting a string and building a Set per message (the hot path runs this twice).
const COMMON_CONNECTION_VALUES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  ['keep-alive', 'Keep-Alive', 'close', 'Close'].map((value) => [value, new Set([value.toLowerCase()])]),
)

/**
 * The extra header names a `Connection` header declares hop-by-hop (`Connection: close, X-Foo`
 * makes `x-foo` hop-by-hop), lower-cased; `undefined` when there are none.
 *
 * @example
 * connectionTokens('keep-alive, X-Trace') // Set { 'keep-alive', 'x-trace' }
 */
export function connectionTokens(connection: string | null | undefined): ReadonlySet<string> | undefined {
  if (!connection) return undefined
  const common = COMMON_CONNECTION_VALUES.get(connection)
  if (common) return common
  const tokens = new Set<string>()
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase()
    if (name) tokens.add(name)
  }
  return tokens.size > 0 ? tokens : undefined
}

/** The three headers the proxy itself writes on every upstream request. */
export interface ProxyHeaders {
  /** Full public proxy URL, sent as `Clerk-Proxy-Url`. */
  readonly proxyUrl: string
  /** Sent as `Clerk-Secret-Key`. */
  readonly secretKey: string
  /** The resolved end-user IP, sent as the only `X-Forwarded-For` value (omitted when unknown). */
  readonly clientIp: string | undefined
}

/**
 * The request headers for Clerk from a client's `Headers`: everything but the dropped ones,
 * then the proxy's own `Clerk-Proxy-Url`, `Clerk-Secret-Key` and `X-Forwarded-For`.
 *
 * @example
 * const upstream = upstreamRequestHeaders(request.headers, { proxyUrl, secretKey, clientIp })
 */
export function upstreamRequestHeaders(incoming: Headers, own: ProxyHeaders): Headers {
  return new Headers(upstreamRequestHeaderPairs(incoming, own))
}

/**
 * {@link upstreamRequestHeaders} as `[name, value]` pairs, which `fetch` takes as they are:
 * the runtime builds its header list in one call instead of one call per header.
 *
 * @example
 * fetch(url, { headers: upstreamRequestHeaderPairs(request.headers, { proxyUrl, secretKey, clientIp }) })
 */
export function upstreamRequestHeaderPairs(incoming: Headers, own: ProxyHeaders): [string, string][] {
  const extra = connectionTokens(incoming.get('connection'))
  const pairs: [string, string][] = []
  incoming.forEach((value, name) => {
    if (!isDroppedRequestHeader(name, extra)) pairs.push([name, value])
  })
  pairs.push(['clerk-proxy-url', own.proxyUrl], ['clerk-secret-key', own.secretKey])
  if (own.clientIp !== undefined) pairs.push(['x-forwarded-for', own.clientIp])
  return pairs
}

/**
 * The same as {@link upstreamRequestHeaders} for a flat `[name, value, name, value, …]` list
 * (Node's `rawHeaders`), returning a flat list that keeps repeated headers apart.
 *
 * @example
 * const list = upstreamRequestHeaderList(incoming.rawHeaders, { proxyUrl, secretKey, clientIp })
 */
export function upstreamRequestHeaderList(raw: readonly string[], own: ProxyHeaders): string[] {
  let extra: ReadonlySet<string> | undefined
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    if (name === 'connection') extra = connectionTokens(raw[i + 1])
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    if (isDroppedRequestHeader(name, extra)) continue
    out.push(name, raw[i + 1]!)
  }
  out.push('clerk-proxy-url', own.proxyUrl, 'clerk-secret-key', own.secretKey)
  if (own.clientIp !== undefined) out.push('x-forwarded-for', own.clientIp)
  return out
}
