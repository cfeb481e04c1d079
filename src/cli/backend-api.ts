/**
 * The few Clerk Backend API calls the operator commands need: list domains, run Clerk's proxy
 * check, set or clear a domain's proxy URL. Authenticated with the instance secret key, which
 * this module never puts into an error message.
 */

/** The default Backend API origin; `CLERK_API_URL` overrides it. */
export const DEFAULT_CLERK_API_URL = 'https://api.clerk.com'

/** A domain of the instance, as `GET /v1/domains` lists it. */
export interface ClerkDomain {
  readonly id: string
  readonly name: string
  readonly is_satellite?: boolean
  readonly frontend_api_url?: string
  readonly proxy_url?: string | null
}

/** Clerk's answer to `POST /v1/proxy_checks`. */
export interface ProxyCheck {
  readonly object?: string
  readonly id?: string
  readonly domain_id: string
  readonly proxy_url: string
  readonly successful: boolean
  readonly last_run_at?: number | null
}

/** One entry of Clerk's `{"errors":[…]}` answer. */
export interface ClerkApiErrorItem {
  readonly code?: string
  readonly message?: string
  readonly long_message?: string
}

/** A Backend API call that failed: Clerk's error answer, another status, or no answer at all. */
export class ClerkApiError extends Error {
  override name = 'ClerkApiError'
  /** The HTTP status, 0 when Clerk could not be reached. */
  readonly status: number
  readonly errors: readonly ClerkApiErrorItem[]
  constructor(status: number, message: string, errors: readonly ClerkApiErrorItem[] = []) {
    super(message)
    this.status = status
    this.errors = errors
  }
}

/** Options for {@link BackendApi}. */
export interface BackendApiOptions {
  readonly secretKey: string
  /** Backend API origin (default {@link DEFAULT_CLERK_API_URL}); a trailing `/v1` is accepted. */
  readonly apiUrl?: string
  /** Called before each request, e.g. to print progress. */
  readonly progress?: (step: string) => void
}

/**
 * A minimal Backend API client.
 *
 * @example
 * const api = new BackendApi({ secretKey: process.env.CLERK_SECRET_KEY! })
 * const domains = await api.listDomains()
 */
export class BackendApi {
  readonly #secretKey: string
  readonly #base: string
  readonly #progress: (step: string) => void

  constructor(options: BackendApiOptions) {
    this.#secretKey = options.secretKey
    this.#base = (options.apiUrl || DEFAULT_CLERK_API_URL).replace(/\/+$/, '').replace(/\/v1$/, '')
    this.#progress = options.progress ?? (() => {})
  }

  /** The Backend API origin requests go to. */
  get baseUrl(): string {
    return this.#base
  }

  /** `GET /v1/domains`: every domain of the instance. */
  async listDomains(): Promise<ClerkDomain[]> {
    const body = (await this.#request('GET', '/v1/domains')) as { data?: ClerkDomain[] } | ClerkDomain[]
    const data = Array.isArray(body) ? body : body.data
    if (!Array.isArray(data)) throw new ClerkApiError(200, 'Clerk answered GET /v1/domains without a list of domains')
    return data
  }

  /** `POST /v1/proxy_checks`: Clerk's own check that `proxyUrl` proxies its Frontend API for the domain. */
  async checkProxy(domainId: string, proxyUrl: string): Promise<ProxyCheck> {
    return (await this.#request('POST', '/v1/proxy_checks', { domain_id: domainId, proxy_url: proxyUrl })) as ProxyCheck
  }

  /** `PATCH /v1/domains/{id}` with `proxy_url` (`null` switches the proxy off). */
  async setProxyUrl(domainId: string, proxyUrl: string | null): Promise<ClerkDomain> {
    return (await this.#request('PATCH', `/v1/domains/${encodeURIComponent(domainId)}`, { proxy_url: proxyUrl })) as ClerkDomain
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = this.#base + path
    this.#progress(`${method} ${url}`)
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#secretKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      })
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message
      throw new ClerkApiError(0, `could not reach the Clerk Backend API at ${this.#base}: ${cause}`)
    }
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (!response.ok) {
      const errors = (parsed as { errors?: ClerkApiErrorItem[] } | undefined)?.errors
      const items = Array.isArray(errors) ? errors : []
      throw new ClerkApiError(response.status, `${method} ${path} failed with ${response.status}${items.length ? '' : `: ${text.slice(0, 200)}`}`, items)
    }
    if (parsed === undefined) throw new ClerkApiError(response.status, `${method} ${path} answered ${response.status} without JSON`)
    return parsed
  }
}

/**
 * A readable, multi-line account of a failed Backend API call: each of Clerk's errors with its
 * long message and code, plus a hint for the usual causes.
 *
 * @example
 * formatClerkApiError(error) // 'Clerk refused: Invalid proxy URL: … (code: form_param_format_invalid)'
 */
export function formatClerkApiError(error: ClerkApiError): string {
  const lines: string[] = []
  if (error.errors.length === 0) lines.push(error.message)
  else {
    lines.push(`Clerk answered ${error.status}:`)
    for (const e of error.errors) {
      const texts = [e.message, e.long_message].filter((s): s is string => typeof s === 'string' && s !== '')
      const unique = texts.filter((s, i) => texts.indexOf(s) === i)
      lines.push(`  - ${unique.join(': ') || 'no message'}${e.code ? ` (code: ${e.code})` : ''}`)
    }
  }
  if (error.status === 401 || error.status === 403) lines.push('Check CLERK_SECRET_KEY: it must be the secret key of the instance whose domain you change (sk_live_… for production).')
  if (error.status === 0) lines.push('Check your network, and CLERK_API_URL if you set it.')
  return lines.join('\n')
}
