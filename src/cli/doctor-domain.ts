/**
 * Which Clerk domain `doctor` asks `/v1/proxy-health` about: the id given, or the one `enable`
 * would pick from the Backend API's `GET /v1/domains` (same rules, `pick-domain.ts`).
 */
import { BackendApi, ClerkApiError, formatClerkApiError, type ClerkDomain } from './backend-api.ts'
import { CHECK_TITLES, type CheckResult } from './doctor-checks.ts'
import { describeDomain, pickDomain } from './pick-domain.ts'

/** How doctor may learn the domain id. */
export interface DomainSource {
  /** `--domain-id` / `CLERK_DOMAIN_ID`: used as is, no Backend API call. */
  readonly domainId?: string
  /** `--domain` as `enable` takes it (an id or a name), to pick among the instance's domains. */
  readonly domain?: string
  /** The instance secret key, to list the domains; without it (and an id) nothing is looked up. */
  readonly secretKey?: string
  /** The Backend API origin (`CLERK_API_URL`). */
  readonly apiUrl?: string
  /** The public proxy URL, whose host names the domain when there are several. */
  readonly url: string
  readonly progress?: (step: string) => void
}

/** The domain settled on (its id for `domain_id`, and the domain when read from Clerk), and the check line. */
export interface DomainLookup {
  readonly domainId: string | undefined
  readonly domain: ClerkDomain | undefined
  readonly check: CheckResult
}

/**
 * Settles the domain id. Never throws for Backend API failures: they become a `warn` line that
 * says which checks could not be made and how to give the id.
 *
 * @example
 * const { domainId, check } = await lookUpDomain({ url, secretKey: process.env.CLERK_SECRET_KEY })
 */
export async function lookUpDomain(source: DomainSource): Promise<DomainLookup> {
  const id = 'domain-id'
  const title = CHECK_TITLES[id]
  const cannot = (detail: string, fix: string): DomainLookup => ({ domainId: undefined, domain: undefined, check: { id, title, status: 'warn', detail, fix } })
  const giveId = 'pass --domain-id dmn_… (Dashboard → Domains, or GET /v1/domains)'
  if (source.domainId !== undefined) return { domainId: source.domainId, domain: undefined, check: { id, title, status: 'pass', detail: `${source.domainId} (given)` } }
  if (source.secretKey === undefined) {
    return cannot(
      'no domain id and no CLERK_SECRET_KEY to look it up: Clerk\'s proxy-health, the client-IP checks and the forged X-Forwarded-For check were not made',
      `To make them, ${giveId}, or set CLERK_SECRET_KEY locally so doctor can look it up.`,
    )
  }
  let domains: ClerkDomain[]
  try {
    domains = await new BackendApi({ secretKey: source.secretKey, ...(source.apiUrl ? { apiUrl: source.apiUrl } : {}), ...(source.progress ? { progress: source.progress } : {}) }).listDomains()
  } catch (error) {
    if (!(error instanceof ClerkApiError)) throw error
    return cannot(`could not list the instance's domains: ${formatClerkApiError(error).replaceAll('\n', ' ')}`, `Fix the above, or ${giveId}.`)
  }
  const choice = pickDomain(domains, { proxyUrl: source.url, ...(source.domain === undefined ? {} : { domain: source.domain }) })
  if (choice.kind === 'picked') return { domainId: choice.domain.id, domain: choice.domain, check: { id, title, status: 'pass', detail: `${describeDomain(choice.domain)}; ${choice.why}` } }
  const list = (choice.kind === 'none' ? domains : choice.candidates).map(describeDomain).join('; ')
  return cannot(`${choice.why}${list ? ` (${list})` : ''}: the checks that need Clerk's proxy-health were not made`, `Pick one: ${giveId}, or --domain <name>.`)
}
