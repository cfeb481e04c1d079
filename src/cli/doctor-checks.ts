/**
 * The checks `clerk-proxy doctor` runs, each a pure function from what the probes observed to
 * a verdict with a fix. Keeping them pure lets every failure mode be tested without a network.
 */
import { cidrMatcher, normalizeIp, parseIp } from '../ip.ts'
import { decodeBody, formatBytes, looksGzipped, looksLikeText } from './encoding.ts'
import { headerText, jsonBody, type ProbeResult } from './http-probe.ts'

/** A check's verdict. `warn` and `skip` do not fail the run; `fail` does. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip'

/** One line of the doctor's checklist. */
export interface CheckResult {
  /** Stable identifier, for `--json` consumers and tests. */
  readonly id: CheckId
  readonly title: string
  readonly status: CheckStatus
  /** What was observed. */
  readonly detail: string
  /** What to do about it, on `fail` and `warn`. */
  readonly fix?: string
}

/** The doctor's checks, by stable id. */
export type CheckId =
  | 'https'
  | 'prefix'
  | 'domain-id'
  | 'outside-prefix'
  | 'proxy-health'
  | 'proxy-url'
  | 'client-ip'
  | 'forged-forwarded-for'
  | 'environment'
  | 'clerk-js'
  | 'secret-key'
  | 'set-cookie'

/** Every check's id and title, in the order the checklist shows them. */
export const CHECK_TITLES: Readonly<Record<CheckId, string>> = {
  'https': 'Served over HTTPS',
  'prefix': 'The prefix answers',
  'domain-id': 'The Clerk domain to check is known (domain_id)',
  'outside-prefix': 'Paths outside the prefix stay out of Clerk',
  'proxy-health': 'Clerk reports the proxy healthy (/v1/proxy-health)',
  'proxy-url': 'The app\'s proxy URL is the Clerk-Proxy-Url the proxy sends (token iss)',
  'client-ip': 'Clerk sees your IP address (X-Forwarded-For)',
  'forged-forwarded-for': 'A forged X-Forwarded-For does not change what Clerk sees',
  'environment': 'Environment answers JSON (/v1/environment)',
  'clerk-js': 'clerk-js script decodes (Accept-Encoding: gzip, br)',
  'secret-key': 'No response leaks the secret key',
  'set-cookie': 'Set-Cookie headers are not merged',
}

const check = (id: CheckId, title: string, status: CheckStatus, detail: string, fix?: string): CheckResult =>
  fix === undefined ? { id, title, status, detail } : { id, title, status, detail, fix }

/**
 * True for loopback host names and addresses (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`).
 *
 * @example
 * isLoopbackHost('127.0.0.1') // true
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  const ip = normalizeIp(host)
  return ip !== undefined && isLoopbackIp(ip)
}

const LOOPBACK = ['127.0.0.0/8', '::1/128'].map((c) => cidrMatcher(c)!)
const NON_PUBLIC = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '0.0.0.0/8', 'fc00::/7', 'fe80::/10', '::/128']
  .map((c) => cidrMatcher(c)!)
  .concat(LOOPBACK)

function isLoopbackIp(ip: string): boolean {
  const bytes = parseIp(ip)
  return bytes !== undefined && LOOPBACK.some((m) => m(bytes))
}

/**
 * True when an address is private, loopback, link-local or carrier-grade NAT: never a
 * browser's public address, but typically a load balancer's.
 *
 * @example
 * isNonPublicIp('10.1.2.3') // true
 */
export function isNonPublicIp(ip: string): boolean {
  const bytes = parseIp(ip)
  return bytes !== undefined && NON_PUBLIC.some((m) => m(bytes))
}

/**
 * The leftmost `X-Forwarded-For` value FAPI reported in `/v1/proxy-health`, the one Clerk uses,
 * normalised; `undefined` when FAPI reported none.
 *
 * @example
 * forwardedForSeen({ status: 'healthy', x_forwarded_for: '1.2.3.4, 10.0.0.1' }) // '1.2.3.4'
 */
export function forwardedForSeen(health: unknown): string | undefined {
  const value = (health as { x_forwarded_for?: unknown } | undefined)?.x_forwarded_for
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : undefined
  const first = text?.split(',')[0]?.trim()
  if (!first) return undefined
  return normalizeIp(first) ?? first
}

/** A readable message from a Clerk-shaped error body, when there is one. */
export function clerkErrorMessage(body: unknown): string | undefined {
  const errors = (body as { errors?: unknown } | undefined)?.errors
  if (!Array.isArray(errors) || errors.length === 0) return undefined
  return errors
    .map((e: { code?: unknown; message?: unknown; long_message?: unknown }) => {
      const text = [e.message, e.long_message].filter((s) => typeof s === 'string' && s !== '').filter((s, i, all) => all.indexOf(s) === i)
      return `${text.join(': ')}${typeof e.code === 'string' ? ` (${e.code})` : ''}`
    })
    .join('; ')
}

const pathOf = (url: string): string => {
  try {
    const u = new URL(url)
    return u.pathname + u.search
  } catch {
    return url
  }
}

const answered = (r: ProbeResult): string => (r.status === 0 ? `no answer (${r.error ?? 'unknown error'})` : `answered ${r.status}`)

/**
 * HTTPS: browsers only send Clerk's Secure cookies over HTTPS. Plain HTTP passes on localhost
 * (a local check) and warns anywhere else.
 *
 * @example
 * checkHttps(new URL('http://app.example.com/__clerk')).status // 'warn'
 */
export function checkHttps(url: URL): CheckResult {
  const title = CHECK_TITLES['https']
  if (url.protocol === 'https:') return check('https', title, 'pass', `${url.origin}`)
  if (isLoopbackHost(url.hostname)) return check('https', title, 'pass', `plain HTTP on ${url.hostname}: fine for a local check; production needs HTTPS`)
  return check(
    'https',
    title,
    'warn',
    `plain HTTP on ${url.hostname}: browsers drop Clerk's Secure cookies and Clerk expects an https:// proxy URL`,
    'Put the proxy behind HTTPS (your platform\'s TLS or load balancer) and run doctor with the https:// URL.',
  )
}

/**
 * The prefix answers: `<url>/v1/environment` must come back as JSON, i.e. from the proxy or
 * Clerk, not as an HTML page from the app the proxy was meant to sit in.
 *
 * @example
 * checkPrefixAnswers(environmentProbe, '/__clerk').status // 'pass'
 */
export function checkPrefixAnswers(health: ProbeResult, prefix: string): CheckResult {
  const title = CHECK_TITLES.prefix
  if (health.status === 0) {
    const tls = /cert|ssl|tls/i.test(health.error ?? '')
    const fix = tls
      ? 'Browsers reject this certificate too: serve a certificate from a public CA for this host name. For a private CA, run doctor with NODE_EXTRA_CA_CERTS=<ca.pem>.'
      : 'Check the URL and that the proxy is deployed and running (DNS, TLS certificate, firewall).'
    return check('prefix', title, 'fail', `${pathOf(health.url)}: ${answered(health)}`, fix)
  }
  if (jsonBody(health) === undefined) {
    const type = headerText(health.headers['content-type']) || 'no content type'
    return check(
      'prefix',
      title,
      'fail',
      `${pathOf(health.url)} answered ${health.status} with ${type}, not JSON: the request did not reach the proxy`,
      `Route ${prefix || '/'}/* to the proxy (or set CLERK_PROXY_PATH / --path to the prefix you deployed). Is the URL's path the proxy's prefix?`,
    )
  }
  return check('prefix', title, 'pass', `${pathOf(health.url)} answered ${health.status} JSON in ${Math.round(health.ms)} ms`)
}

/** True when a probe's answer came from FAPI's proxy-health endpoint. */
function reachedProxyHealth(r: ProbeResult): boolean {
  const body = jsonBody(r) as { status?: unknown; x_forwarded_for?: unknown } | undefined
  return typeof body === 'object' && body !== null && ('x_forwarded_for' in body || body.status === 'healthy' || body.status === 'unhealthy')
}

/** True when a probe's answer came from FAPI: proxy-health's answer or the environment object. */
function reachedClerk(r: ProbeResult): boolean {
  return reachedProxyHealth(r) || (jsonBody(r) as { object?: unknown } | undefined)?.object === 'environment'
}

/**
 * Paths outside the prefix must not reach Clerk: `/v1/environment` without the prefix, and
 * `<prefix>-x/…` (a segment-boundary mistake), must not come back from FAPI.
 *
 * @example
 * checkOutsidePrefix('/__clerk', [rootProbe, siblingProbe]).status // 'pass'
 */
export function checkOutsidePrefix(prefix: string, probes: readonly ProbeResult[]): CheckResult {
  const title = CHECK_TITLES['outside-prefix']
  if (prefix === '') return check('outside-prefix', title, 'skip', 'the proxy serves the whole host (no prefix), so every path is Clerk\'s')
  const leaked = probes.filter(reachedClerk)
  if (leaked.length > 0) {
    return check(
      'outside-prefix',
      title,
      'fail',
      `${leaked.map((r) => pathOf(r.url)).join(' and ')} reached Clerk's Frontend API`,
      `Mount the proxy only at ${prefix} and below (match "${prefix}" or "${prefix}/…", not every path that starts with the letters).`,
    )
  }
  return check('outside-prefix', title, 'pass', probes.map((r) => `${pathOf(r.url)} ${answered(r)}`).join(', '))
}

/** What `/v1/proxy-health` is judged against: the domain asked about and the proxy's URL. */
export interface ProxyHealthContext {
  /** The `domain_id` sent, or why there is none (the check is then skipped). */
  readonly domainId: string | undefined
  /** The public proxy URL doctor checks. */
  readonly url: string
}

/**
 * FAPI's own health check through the proxy (`GET /v1/proxy-health?domain_id=…`), read as FAPI's
 * OpenAPI spec documents it: `200 {"status":"healthy"}`; `200` or `503`
 * `{"status":"unhealthy","message"}`; `400` Clerk errors. Each answer gets its own fix.
 *
 * @example
 * checkProxyHealth(healthProbe, { domainId: 'dmn_1', url: 'https://app.example.com/__clerk' }).status // 'pass'
 */
export function checkProxyHealth(health: ProbeResult | undefined, context: ProxyHealthContext): CheckResult {
  const id = 'proxy-health'
  const title = CHECK_TITLES[id]
  if (context.domainId === undefined || health === undefined) return check(id, title, 'skip', NO_DOMAIN_ID)
  if (health.status === 0) return check(id, title, 'fail', answered(health), 'Check that the proxy is running and reachable.')
  const body = jsonBody(health) as { status?: unknown; message?: unknown; errors?: unknown } | undefined
  const domain = `domain ${context.domainId}`
  if (health.status === 200 && body?.status === 'healthy') return check(id, title, 'pass', `status: healthy for ${domain}`)
  if (body?.status === 'unhealthy') {
    const message = typeof body.message === 'string' && body.message !== '' ? body.message : 'no reason given'
    const transient = health.status === 503 ? ' A 503 can also mean Clerk could not complete the check just now: if nothing above applies, run doctor again in a few minutes.' : ''
    return check(id, title, 'fail', `${health.status} unhealthy for ${domain}: ${message}`, unhealthyFix(message, context.url) + transient)
  }
  const errors = clerkErrorMessage(body)
  if (health.status === 400 && errors !== undefined) {
    const codes = JSON.stringify(body?.errors ?? '')
    if (/domain/i.test(codes)) {
      return check(
        id,
        title,
        'fail',
        `Clerk refused ${domain}: ${errors}`,
        'Clerk does not know this domain for the instance whose secret key the proxy sends. Check --domain-id against the instance\'s domains (run doctor with CLERK_SECRET_KEY set to look it up), and that the proxy\'s CLERK_SECRET_KEY belongs to that same instance.',
      )
    }
    return check(id, title, 'fail', `Clerk refused the check (400): ${errors}`, 'Clerk named what it refused above; the proxy forwards the query and its three headers (Clerk-Proxy-Url, Clerk-Secret-Key, X-Forwarded-For) as they are.')
  }
  if (errors !== undefined && /proxy_/.test(JSON.stringify(body?.errors ?? ''))) {
    return check(id, title, 'fail', `the proxy answered ${health.status}: ${errors}`, 'The proxy itself answered, not Clerk: fix what its message names (its configuration, or its route to Clerk\'s Frontend API).')
  }
  return check(id, title, 'fail', `${answered(health)}${errors ? `: ${errors}` : ''}, not one of the answers Clerk documents for /v1/proxy-health`, 'Something other than Clerk answered: check that the proxy forwards /v1/proxy-health to Clerk\'s Frontend API unchanged.')
}

/** Why the checks that read `/v1/proxy-health` were not made without a domain id. */
export const NO_DOMAIN_ID = 'not checked: Clerk\'s /v1/proxy-health needs the domain id (see the domain_id line)'

/** The fix for an unhealthy answer, from what Clerk's message names. */
function unhealthyFix(message: string, url: string): string {
  if (/secret/i.test(message)) {
    return 'Clerk did not accept the Clerk-Secret-Key the proxy sends: set CLERK_SECRET_KEY on the proxy to the secret key (sk_live_…) of the production instance this domain belongs to, and redeploy. Proxying works for production instances only.'
  }
  if (/proxy.?url/i.test(message)) return `Clerk did not accept the Clerk-Proxy-Url the proxy sends: set CLERK_PROXY_URL on the proxy to exactly ${url} (the domain's proxy URL), and redeploy.`
  if (/forwarded/i.test(message)) return 'Clerk did not accept the X-Forwarded-For the proxy sends: the proxy must set it to the client\'s address on every request (clerk-proxy does; see TRUST_PROXY).'
  return 'Clerk\'s message says what it rejected among the headers the proxy sends (Clerk-Secret-Key, Clerk-Proxy-Url, X-Forwarded-For).'
}

/** What {@link checkProxyUrl} compares. */
export interface ProxyUrlObservation {
  /** The public proxy URL doctor checks (normalized). */
  readonly url: string
  /** The proxy URL the app's Clerk SDK is configured with, exactly as given, and where it came from. */
  readonly app?: { readonly value: string; readonly source: string }
  /** The Clerk-Proxy-Url the proxy sent, when Clerk's proxy-health answer reports it. */
  readonly sent?: string
  /** The domain's `proxy_url` at Clerk, when doctor read the domain from the Backend API. */
  readonly domainProxyUrl?: string | null
}

const ISS =
  'Session tokens minted through a proxy carry iss = the Clerk-Proxy-Url the proxy sends, and backend SDKs compare iss with their configured proxy URL byte for byte: any difference (a trailing slash, http vs https, another host) makes every token fail verification.'

/**
 * The proxy URL the app's Clerk SDK is configured with must equal, byte for byte, the
 * `Clerk-Proxy-Url` the proxy sends (which becomes the `iss` of session tokens). Where Clerk's
 * answer does not show that header, the URL doctor checks stands in for it, and the detail says so.
 *
 * @example
 * checkProxyUrl({ url: 'https://app.example.com/__clerk', app: { value: 'https://app.example.com/__clerk/', source: '--app-proxy-url' } }).status // 'fail'
 */
export function checkProxyUrl(o: ProxyUrlObservation): CheckResult {
  const id = 'proxy-url'
  const title = CHECK_TITLES[id]
  if (o.sent !== undefined && o.sent !== o.url) {
    const local = /^https?:\/\/(localhost|127\.|\[::1\])/i.test(o.sent)
    return check(
      id,
      title,
      'fail',
      `the proxy sends Clerk-Proxy-Url: ${o.sent}, but browsers reach it at ${o.url}`,
      `${local ? 'The proxy sits behind another proxy and builds its URL from its own address. ' : ''}Set CLERK_PROXY_URL=${o.url} on the proxy and redeploy. ${ISS}`,
    )
  }
  const sent = o.sent ?? o.url
  const sentWhat = o.sent !== undefined ? `the Clerk-Proxy-Url the proxy sends (${sent})` : `the URL doctor checked (${sent}; Clerk's answer does not show the Clerk-Proxy-Url header itself)`
  if (o.app !== undefined && o.app.value !== sent) {
    return check(
      id,
      title,
      'fail',
      `${o.app.source} is ${JSON.stringify(o.app.value)}, which differs from ${sentWhat}`,
      `Configure the app with exactly ${sent} (${o.app.source}), or CLERK_PROXY_URL on the proxy with exactly the app's value. ${ISS}`,
    )
  }
  if (o.domainProxyUrl && o.domainProxyUrl !== sent) {
    return check(
      id,
      title,
      'warn',
      `Clerk's domain is set to proxy_url ${o.domainProxyUrl}, which differs from ${sentWhat}`,
      `Run clerk-proxy enable --proxy-url ${sent} to set the domain's proxy URL to it (or check it in the Dashboard, Domains). ${ISS}`,
    )
  }
  const compared = [o.app && `${o.app.source}`, o.domainProxyUrl && "the domain's proxy_url at Clerk"].filter(Boolean)
  if (compared.length === 0) {
    return check(id, title, 'skip', `not checked: doctor does not know the app's proxy URL; pass --app-proxy-url or set NEXT_PUBLIC_CLERK_PROXY_URL / CLERK_PROXY_URL as the app has it`)
  }
  return check(id, title, 'pass', `${compared.join(' and ')} ${compared.length > 1 ? 'equal' : 'equals'} ${sentWhat}`)
}

/** Inputs of {@link checkClientIp}. */
export interface ClientIpObservation {
  /** The proxy's URL (a loopback host means the caller is loopback too). */
  readonly url: URL
  /** `/v1/proxy-health` as first seen, and a second time. */
  readonly first: ProbeResult
  readonly second?: ProbeResult
  /** The caller's public address, when the operator knows it (`--expect-ip`). */
  readonly expectIp?: string
}

/**
 * The address FAPI sees is the caller's. Known for sure with `--expect-ip` or on localhost;
 * otherwise a private address (the load balancer's) fails, and a public one that cannot be
 * confirmed warns.
 *
 * @example
 * checkClientIp({ url: new URL('http://127.0.0.1:3000/__clerk'), first }).status // 'pass'
 */
export function checkClientIp(o: ClientIpObservation): CheckResult {
  const id = 'client-ip'
  const title = CHECK_TITLES['client-ip']
  if (o.first.status === 0 || !reachedProxyHealth(o.first)) return check(id, title, 'skip', 'no proxy-health answer to read it from')
  const body = jsonBody(o.first) as { x_forwarded_for?: unknown }
  if (!('x_forwarded_for' in body)) return check(id, title, 'skip', 'Clerk\'s proxy-health answer did not report the address it saw (it does when healthy)')
  const seen = forwardedForSeen(body)
  const trustFix =
    'If a load balancer or CDN sits in front of the proxy, tell the proxy to believe it: TRUST_PROXY=1 (one hop) or its address range; clerk-proxy never believes client-sent X-Forwarded-For otherwise.'
  if (seen === undefined) {
    return check(id, title, 'fail', 'FAPI saw no X-Forwarded-For at all', 'The proxy must set X-Forwarded-For to the client\'s address on every request (clerk-proxy does).')
  }
  if (o.expectIp !== undefined) {
    const expected = normalizeIp(o.expectIp) ?? o.expectIp
    if (seen === expected) return check(id, title, 'pass', `FAPI saw ${seen}, your address`)
    return check(id, title, 'fail', `FAPI saw ${seen}, but you are ${expected}`, isNonPublicIp(seen) ? trustFix : 'Check which proxy or CDN sets X-Forwarded-For before clerk-proxy and how many hops TRUST_PROXY trusts.')
  }
  if (isLoopbackHost(o.url.hostname)) {
    if (isLoopbackIp(seen)) return check(id, title, 'pass', `FAPI saw ${seen} (you, on this machine)`)
    return check(id, title, 'fail', `FAPI saw ${seen}, but the caller is this machine (loopback)`, 'The proxy takes the client address from a header instead of the connection; leave TRUST_PROXY unset when nothing sits in front.')
  }
  if (isNonPublicIp(seen)) {
    return check(id, title, 'fail', `FAPI saw ${seen}, a private address: every user would look like your load balancer to Clerk`, trustFix)
  }
  const again = o.second && forwardedForSeen(jsonBody(o.second))
  if (again !== undefined && again !== seen) {
    return check(id, title, 'warn', `two requests were seen as ${seen} and ${again}`, 'Run again with --expect-ip <your public IP> to compare with a known address.')
  }
  return check(
    id,
    title,
    'warn',
    `FAPI saw ${seen}, a public address${again !== undefined ? ', the same on a second request' : ''}; doctor cannot tell on its own whether it is yours`,
    'Run again with --expect-ip <your public IP> (e.g. from https://ifconfig.me) to confirm it.',
  )
}

/**
 * A forged `X-Forwarded-For` / `X-Real-IP` from the client must not change the address Clerk
 * uses (the leftmost `X-Forwarded-For` value FAPI sees).
 *
 * @example
 * checkForgedForwardedFor(first, forged, '203.0.113.7').status // 'pass'
 */
export function checkForgedForwardedFor(baseline: ProbeResult, forged: ProbeResult, forgedIp: string): CheckResult {
  const id = 'forged-forwarded-for'
  const title = CHECK_TITLES['forged-forwarded-for']
  if (forged.status === 0 || !reachedProxyHealth(forged)) return check(id, title, 'skip', 'no proxy-health answer to the forged request')
  const before = forwardedForSeen(jsonBody(baseline))
  const after = forwardedForSeen(jsonBody(forged))
  const fix =
    'The proxy believes the client\'s X-Forwarded-For: anyone can pick the IP Clerk rate-limits and records. Set X-Forwarded-For from the connection; with clerk-proxy, leave TRUST_PROXY unset or set it to the exact number of proxies in front.'
  if (after === forgedIp) return check(id, title, 'fail', `sending X-Forwarded-For: ${forgedIp} made FAPI see ${forgedIp}`, fix)
  if (before !== undefined && after !== before) return check(id, title, 'fail', `sending X-Forwarded-For: ${forgedIp} changed what FAPI saw from ${before} to ${after}`, fix)
  const raw = String((jsonBody(forged) as { x_forwarded_for?: unknown }).x_forwarded_for ?? '')
  const note = raw.includes(forgedIp) ? ` (the forged value was kept further right, which Clerk ignores)` : ''
  return check(id, title, 'pass', `FAPI still saw ${after ?? 'the same address'}${note}`)
}

/**
 * `/v1/environment` answers JSON, the first call clerk-js makes.
 *
 * @example
 * checkEnvironment(environmentProbe).status // 'pass'
 */
export function checkEnvironment(r: ProbeResult): CheckResult {
  const title = CHECK_TITLES['environment']
  if (r.status === 0) return check('environment', title, 'fail', answered(r), 'Check that the proxy is running and reachable.')
  const body = jsonBody(r) as { object?: unknown } | undefined
  const type = headerText(r.headers['content-type'])
  if (r.status >= 200 && r.status < 300 && body !== undefined && /json/i.test(type)) {
    return check('environment', title, 'pass', `${r.status} ${type}${typeof body.object === 'string' ? `, object: ${body.object}` : ''}`)
  }
  const why = clerkErrorMessage(body) ?? (body === undefined ? `answered ${r.status} ${type || 'without a content type'}, not JSON` : `answered ${r.status}`)
  return check('environment', title, 'fail', why, 'clerk-js cannot start without it. Fix the failures above first; if there are none, check the proxy\'s log for this request.')
}

/**
 * The clerk-js script arrives intact: its bytes match its `Content-Encoding` (no double or
 * stripped encoding), its `Content-Length` matches the bytes, and it decodes to text. Reports
 * the size on the wire; an uncompressed large script warns.
 *
 * @example
 * checkClerkJs(scriptProbe).detail // '200, br, 312 kB on the wire (1.4 MB decoded) in 80 ms'
 */
export function checkClerkJs(r: ProbeResult): CheckResult {
  const id = 'clerk-js'
  const title = CHECK_TITLES['clerk-js']
  const where = pathOf(r.url)
  if (r.status === 0) return check(id, title, 'fail', `${where}: ${answered(r)}`, 'Check that the proxy forwards /npm/* to Clerk.')
  if (r.status !== 200) {
    return check(id, title, 'fail', `${where} answered ${r.status}${clerkErrorMessage(jsonBody(r)) ? `: ${clerkErrorMessage(jsonBody(r))}` : ''}`, 'The proxy must forward /npm/* (clerk-js and its chunks) to Clerk unchanged.')
  }
  const declared = r.headers['content-length']
  if (declared !== undefined && Number(declared) !== r.body.length) {
    return check(
      id,
      title,
      'fail',
      `Content-Length says ${declared} bytes but ${r.body.length} arrived`,
      'The proxy changed the body (decoded it?) but kept the original Content-Length. Drop Content-Length (and Content-Encoding) when the body was decoded.',
    )
  }
  const encoding = headerText(r.headers['content-encoding'])
  const decoded = decodeBody(r.body, encoding)
  if (!decoded.ok) {
    return check(
      id,
      title,
      'fail',
      `Content-Encoding: ${encoding}, but ${decoded.error}; browsers fail with ERR_CONTENT_DECODING_FAILED`,
      'The proxy (its fetch) decoded the body and kept the Content-Encoding header. Forward the compressed bytes as they are, or drop Content-Encoding and Content-Length after decoding.',
    )
  }
  if (looksGzipped(decoded.body) || !looksLikeText(decoded.body)) {
    const stripped = decoded.encodings.length === 0
    return check(
      id,
      title,
      'fail',
      stripped
        ? 'the script arrived compressed but without Content-Encoding: browsers see binary bytes'
        : `after undoing Content-Encoding: ${encoding} the script is still binary: it was compressed twice`,
      stripped
        ? 'The proxy dropped Content-Encoding but kept the compressed bytes; keep both together.'
        : 'Something between Clerk and the browser compressed an already compressed body; let one layer compress, or forward Clerk\'s encoding as is.',
    )
  }
  const size = `${formatBytes(r.body.length)} on the wire`
  const detail = `200, ${decoded.encodings.join(', ') || 'uncompressed'}, ${size}${decoded.encodings.length ? ` (${formatBytes(decoded.body.length)} decoded)` : ''} in ${Math.round(r.ms)} ms`
  if (decoded.encodings.length === 0 && r.body.length > 200_000) {
    return check(id, title, 'warn', detail, 'The script crosses the wire uncompressed. Pass Accept-Encoding through to Clerk and keep its Content-Encoding (clerk-proxy on Node does).')
  }
  return check(id, title, 'pass', detail)
}

const SECRET_PATTERN = /\bsk_(live|test)_[A-Za-z0-9]{8,}/

/**
 * No response carries a secret key: no `Clerk-Secret-Key` header, no header value (or small
 * JSON body) with `sk_live_…`/`sk_test_…`, and, when `secret` is known, none containing it.
 * Never puts the secret into its own output.
 *
 * @example
 * checkNoSecret(allProbes, process.env.CLERK_SECRET_KEY).status // 'pass'
 */
export function checkNoSecret(probes: readonly ProbeResult[], secret: string | undefined): CheckResult {
  const id = 'secret-key'
  const title = CHECK_TITLES['secret-key']
  const leaks: string[] = []
  for (const r of probes) {
    for (const [name, value] of Object.entries(r.headers)) {
      const text = headerText(value)
      if (name === 'clerk-secret-key' || (secret && text.includes(secret)) || SECRET_PATTERN.test(text)) leaks.push(`header ${name} on ${pathOf(r.url)}`)
    }
    if (r.body.length < 1_000_000 && /json|text\/plain|html/i.test(headerText(r.headers['content-type']))) {
      const text = r.body.toString('utf8')
      if ((secret && text.includes(secret)) || SECRET_PATTERN.test(text)) leaks.push(`body of ${pathOf(r.url)}`)
    }
  }
  if (leaks.length > 0) {
    return check(
      id,
      title,
      'fail',
      `a secret key (value hidden) appears in: ${leaks.join(', ')}`,
      'Rotate the secret key in the Clerk Dashboard now, then stop the proxy (or whatever sits in front) from copying request headers into responses.',
    )
  }
  const how = secret ? 'your CLERK_SECRET_KEY, sk_live_/sk_test_ patterns and Clerk-Secret-Key headers' : 'sk_live_/sk_test_ patterns and Clerk-Secret-Key headers (set CLERK_SECRET_KEY locally to also look for your exact key)'
  return check(id, title, 'pass', `${probes.length} responses checked for ${how}`)
}

/**
 * How many cookies one `Set-Cookie` header line carries: more than one means a proxy joined
 * several with commas (commas inside `Expires=` dates do not count).
 *
 * @example
 * cookiesInSetCookieLine('a=1; Path=/, b=2; Path=/') // 2
 */
export function cookiesInSetCookieLine(line: string): number {
  const withoutDates = line.replace(/expires\s*=[^;]*/gi, 'expires=x')
  return withoutDates.split(/,\s*(?=[!#$%&'*+\-.^_`|~0-9A-Za-z]+=)/).length
}

/**
 * `Set-Cookie` headers arrive one per cookie. Judged on every response doctor received; when
 * Clerk set fewer than two cookies on any of them there is nothing that could have been merged,
 * and the check says so rather than pass.
 *
 * @example
 * checkSetCookies(allProbes).status // 'pass'
 */
export function checkSetCookies(probes: readonly ProbeResult[]): CheckResult {
  const id = 'set-cookie'
  const title = CHECK_TITLES['set-cookie']
  const merged: string[] = []
  let mostInOne = 0
  let mostWhere = ''
  for (const r of probes) {
    const raw = r.headers['set-cookie'] ?? []
    const lines = Array.isArray(raw) ? raw : [raw]
    let count = 0
    for (const line of lines) {
      const n = cookiesInSetCookieLine(line)
      count += n
      if (n > 1) merged.push(`${n} cookies in one Set-Cookie line on ${pathOf(r.url)}`)
    }
    if (count > mostInOne) [mostInOne, mostWhere] = [count, pathOf(r.url)]
  }
  if (merged.length > 0) {
    return check(
      id,
      title,
      'fail',
      merged.join('; '),
      'Browsers read a joined line as one cookie and lose the rest (sign-in and OAuth break). Forward each Set-Cookie as its own header (Headers.getSetCookie(), not headers.get()).',
    )
  }
  if (mostInOne < 2) {
    return check(
      id,
      title,
      'skip',
      `Clerk set ${mostInOne === 0 ? 'no cookies' : 'at most one cookie per response'} on the requests doctor makes, so merging cannot be seen from outside; it would show at sign-in`,
    )
  }
  return check(id, title, 'pass', `${mostInOne} Set-Cookie headers on ${mostWhere}, one cookie each`)
}
