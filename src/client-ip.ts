import { cidrMatcher, normalizeIp, parseIp, type AddressMatcher } from './ip.ts'

/**
 * Which peers' `X-Forwarded-*` headers the proxy believes.
 * - `none`: the connecting peer is the client; forwarded headers are ignored.
 * - `hops`: exactly this many proxies stand in front; each appended one `X-Forwarded-For` entry.
 * - `addresses`: peers whose address matches are proxies; the first one that does not is the client.
 */
export type TrustProxy =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'addresses'; readonly matches: AddressMatcher; readonly description: string }

/** Trust no forwarded header: the connecting peer is the client. */
export const TRUST_NONE: TrustProxy = Object.freeze({ kind: 'none' })

const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
}

/**
 * Parses a `TRUST_PROXY` setting: a hop count (`1`), or a comma-separated list of addresses,
 * CIDR ranges and the names `loopback`, `private`, `linklocal`. Empty, `0`, `false` and `none`
 * trust nothing. `true` is refused: it would let any client choose the IP Clerk sees.
 * Throws an `Error` whose message explains the accepted forms.
 *
 * @example
 * parseTrustProxy('1')                  // { kind: 'hops', hops: 1 }
 * parseTrustProxy('loopback, 10.0.0.0/8')
 */
export function parseTrustProxy(value: string | number | boolean | readonly string[] | undefined): TrustProxy {
  if (value === undefined || value === false) return TRUST_NONE
  if (value === true) throw new Error(trustTrueMessage)
  if (typeof value === 'number') return hops(value)
  const items = (typeof value === 'string' ? value.split(',') : value).map((s) => s.trim()).filter(Boolean)
  if (items.length === 0) return TRUST_NONE
  if (items.length === 1) {
    const only = items[0]!.toLowerCase()
    if (only === 'false' || only === 'none') return TRUST_NONE
    if (only === 'true' || only === '*') throw new Error(trustTrueMessage)
    if (/^\d+$/.test(only)) return hops(Number(only))
  }
  const matchers: AddressMatcher[] = []
  for (const item of items) {
    const named = NAMED_RANGES[item.toLowerCase()]
    const ranges = named ?? [item]
    for (const range of ranges) {
      const matcher = cidrMatcher(range)
      if (!matcher) {
        throw new Error(
          `"${item}" is not a hop count, an IP address, a CIDR range or one of loopback, private, linklocal`,
        )
      }
      matchers.push(matcher)
    }
  }
  return {
    kind: 'addresses',
    matches: (address) => matchers.some((m) => m(address)),
    description: items.join(', '),
  }
}

const trustTrueMessage =
  'trusting every proxy would let any client choose the IP Clerk sees; give the number of proxies in front (e.g. 1) or their addresses (e.g. 10.0.0.0/8)'

function hops(n: number): TrustProxy {
  if (!Number.isInteger(n) || n < 0 || n > 32) throw new Error(`hop count must be an integer from 0 to 32, got ${n}`)
  return n === 0 ? TRUST_NONE : { kind: 'hops', hops: n }
}

/**
 * Whether the directly connected peer is a trusted proxy, so that its `X-Forwarded-*`
 * headers may be believed.
 *
 * @example
 * isTrustedPeer('127.0.0.1', parseTrustProxy('loopback')) // true
 */
export function isTrustedPeer(peerIp: string | undefined, trust: TrustProxy): boolean {
  if (trust.kind === 'none' || peerIp === undefined) return false
  if (trust.kind === 'hops') return true
  const bytes = parseIp(peerIp)
  return bytes !== undefined && trust.matches(bytes)
}

/**
 * Resolves the end user's IP: the connecting peer, or, behind trusted proxies, the rightmost
 * `X-Forwarded-For` entry that was not added by a trusted proxy. Entries a client wrote (to the
 * left) can never be chosen past an untrusted hop. Returns the address in canonical form, or
 * `undefined` when the peer is unknown.
 *
 * @example
 * resolveClientIp('10.0.0.2', '6.6.6.6, 203.0.113.7', parseTrustProxy('1')) // '203.0.113.7'
 */
export function resolveClientIp(
  peerIp: string | undefined,
  forwardedFor: string | undefined,
  trust: TrustProxy,
): string | undefined {
  if (peerIp === undefined) return undefined
  const peer = normalizedPeer(peerIp)
  if (trust.kind === 'none' || !forwardedFor) return peer
  const entries = forwardedFor.split(',')
  let client = peer
  let current = parseIp(peer)
  for (let i = entries.length - 1, hop = 0; i >= 0; i--, hop++) {
    const trusted = trust.kind === 'hops' ? hop < trust.hops : current !== undefined && trust.matches(current)
    if (!trusted) break
    const entry = stripPort(entries[i]!.trim())
    const bytes = parseIp(entry)
    // A trusted hop that reported garbage: keep the last address we could verify.
    if (!bytes) break
    current = bytes
    client = normalizeIp(entry)!
  }
  return client
}

/**
 * The end-user IP from an `X-Forwarded-For` chain alone, when the socket address is hidden and the
 * server in front wrote it into the chain only when the header was absent (Next.js's own
 * server: `x-forwarded-for ??= socket.remoteAddress`). The rightmost entry then plays the part
 * of the connecting peer, and `TRUST_PROXY` applies to it exactly as in the Node adapter:
 * unset or `1` → the rightmost entry; `N` → the Nth entry from the right; addresses → the
 * rightmost entry that is not a listed proxy. Entries further left (what a client wrote) are
 * never chosen past an untrusted hop. Returns `undefined` for a missing or garbled chain.
 *
 * @example
 * clientIpFromForwardedChain('6.6.6.6, 203.0.113.7', parseTrustProxy(undefined)) // '203.0.113.7'
 * clientIpFromForwardedChain('203.0.113.7, 10.0.0.2', parseTrustProxy('10.0.0.0/8')) // '203.0.113.7'
 */
export function clientIpFromForwardedChain(chain: string | undefined, trust: TrustProxy): string | undefined {
  if (!chain) return undefined
  const cut = chain.lastIndexOf(',')
  const nearest = stripPort(chain.slice(cut + 1).trim())
  // A garbled nearest entry means nothing in the chain can be verified.
  if (normalizeIp(nearest) === undefined) return undefined
  const rest = cut < 0 ? undefined : chain.slice(0, cut)
  // The nearest entry already is the first hop of a hop count: the rest needs one fewer.
  const remaining: TrustProxy = trust.kind === 'hops' ? (trust.hops > 1 ? { kind: 'hops', hops: trust.hops - 1 } : TRUST_NONE) : trust
  return resolveClientIp(nearest, rest, remaining)
}

function stripPort(entry: string): string {
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']')
    return end > 0 ? entry.slice(1, end) : entry
  }
  const colon = entry.indexOf(':')
  if (colon > 0 && entry.indexOf(':', colon + 1) < 0) return entry.slice(0, colon)
  return entry
}

// A keep-alive connection sends many requests from one address: remember the last one
// normalized instead of parsing the same address again on every request.
let lastPeer: string | undefined
let lastNormalizedPeer = ''

/** `normalizeIp(peerIp) ?? peerIp`, answered from the last call when the address repeats. */
function normalizedPeer(peerIp: string): string {
  if (peerIp !== lastPeer) {
    lastNormalizedPeer = normalizeIp(peerIp) ?? peerIp
    lastPeer = peerIp
  }
  return lastNormalizedPeer
}
