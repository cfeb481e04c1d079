import type { ClerkDomain } from './backend-api.ts'

/** The outcome of choosing a domain: one, several equally likely, or none matching. */
export type DomainChoice =
  | { readonly kind: 'picked'; readonly domain: ClerkDomain; readonly why: string }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly ClerkDomain[]; readonly why: string }
  | { readonly kind: 'none'; readonly why: string }

/** What the operator said about the domain. */
export interface DomainHint {
  /** `--domain`: a domain id (`dmn_…`) or name (`example.com`). */
  readonly domain?: string
  /** For `enable`: the proxy URL, whose host usually names the domain. */
  readonly proxyUrl?: string
  /** For `disable`: prefer the domains that have a proxy URL set. */
  readonly withProxy?: boolean
}

/**
 * Chooses the domain to change. `--domain` must match an id or name exactly. Otherwise: the
 * only domain; for `enable` the domain the proxy URL's host belongs to (`app.example.com` →
 * `example.com`, the longest match); for `disable` the only domain with a proxy set. Anything
 * else is ambiguous and is for the operator to decide.
 *
 * @example
 * pickDomain(domains, { proxyUrl: 'https://app.example.com/__clerk' })
 */
export function pickDomain(domains: readonly ClerkDomain[], hint: DomainHint): DomainChoice {
  if (domains.length === 0) return { kind: 'none', why: 'the instance has no domains' }
  if (hint.domain !== undefined) {
    const wanted = hint.domain.toLowerCase()
    const match = domains.find((d) => d.id === hint.domain) ?? domains.find((d) => d.name.toLowerCase() === wanted)
    return match ? { kind: 'picked', domain: match, why: `--domain ${hint.domain}` } : { kind: 'none', why: `no domain has the id or name "${hint.domain}"` }
  }
  if (domains.length === 1) return { kind: 'picked', domain: domains[0]!, why: 'the instance has one domain' }
  if (hint.withProxy) {
    const proxied = domains.filter((d) => d.proxy_url)
    if (proxied.length === 1) return { kind: 'picked', domain: proxied[0]!, why: 'the only domain with a proxy' }
    return { kind: 'ambiguous', candidates: proxied.length > 0 ? proxied : domains, why: proxied.length > 0 ? `${proxied.length} domains use a proxy` : 'no domain uses a proxy' }
  }
  if (hint.proxyUrl !== undefined) {
    const host = new URL(hint.proxyUrl).hostname.toLowerCase()
    const matches = domains.filter((d) => host === d.name.toLowerCase() || host.endsWith(`.${d.name.toLowerCase()}`))
    const longest = Math.max(0, ...matches.map((d) => d.name.length))
    const best = matches.filter((d) => d.name.length === longest)
    if (best.length === 1) return { kind: 'picked', domain: best[0]!, why: `${host} belongs to it` }
    return { kind: 'ambiguous', candidates: best.length > 1 ? best : domains, why: best.length > 1 ? `several domains match ${host}` : `no domain matches ${host}` }
  }
  return { kind: 'ambiguous', candidates: domains, why: `the instance has ${domains.length} domains` }
}

/**
 * One domain as a line of a list: name, id, role and current proxy.
 *
 * @example
 * describeDomain({ id: 'dmn_1', name: 'example.com' }) // 'example.com (dmn_1, primary, no proxy)'
 */
export function describeDomain(domain: ClerkDomain): string {
  return `${domain.name} (${domain.id}, ${domain.is_satellite ? 'satellite' : 'primary'}, ${domain.proxy_url ? `proxy ${domain.proxy_url}` : 'no proxy'})`
}
