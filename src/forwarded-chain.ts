import { resolveClientIp, TRUST_NONE, type TrustProxy } from './client-ip.ts'
import { normalizeIp } from './ip.ts'

/**
 * The end-user IP from an `X-Forwarded-For` chain when the socket address is hidden and the
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
