/**
 * `clerk-proxy doctor <public proxy URL>`: checks a deployed proxy from outside, the way a
 * browser reaches it, and prints a checklist with a fix for each failure.
 */
import { randomInt } from 'node:crypto'
import {
  CHECK_TITLES,
  checkClerkJs,
  checkClientIp,
  checkEnvironment,
  checkForgedForwardedFor,
  checkHttps,
  checkNoSecret,
  checkOutsidePrefix,
  checkPrefixAnswers,
  checkProxyHealth,
  checkProxyUrl,
  checkSetCookies,
  NO_DOMAIN_ID,
  type CheckId,
  type CheckResult,
  type CheckStatus,
} from './doctor-checks.ts'
import { lookUpDomain } from './doctor-domain.ts'
import { jsonBody, probe, type ProbeOptions, type ProbeResult } from './http-probe.ts'
import { redactingIo, startCommand, usageError, type CommandIo } from './io.ts'
import { UsageError } from './args.ts'
import { normalizeIp } from '../ip.ts'
import { parseHttpUrl } from '../public-url.ts'

/** What to check and how. */
export interface DoctorOptions {
  /** The public proxy URL, e.g. `https://app.example.com/__clerk`. */
  readonly url: string
  /** The caller's public IP, to compare with the one Clerk sees. */
  readonly expectIp?: string
  /**
   * The instance secret key, never sent to the proxy: to look the domain id up in the Backend
   * API, and so that no response may contain it.
   */
  readonly secretKey?: string
  /** The Clerk domain id (`dmn_…`) that `/v1/proxy-health` checks; looked up when absent. */
  readonly domainId?: string
  /** A domain name or id to pick among the instance's domains, as `enable --domain` takes it. */
  readonly domain?: string
  /** The Backend API origin for the lookup (`CLERK_API_URL`). */
  readonly apiUrl?: string
  /** The proxy URL the app's Clerk SDK is configured with, as given, and where it came from. */
  readonly appProxyUrl?: { readonly value: string; readonly source: string }
  /** The clerk-js major version or exact version whose script to fetch (default `6`). */
  readonly clerkJsVersion?: string
  /** Per-request timeout in ms (default 15 s). */
  readonly timeoutMs?: number
  /** Called before each network step, e.g. to print progress. */
  readonly progress?: (step: string) => void
}

/** The doctor's findings. */
export interface DoctorReport {
  readonly url: string
  /** True when no check failed (warnings and skips allowed). */
  readonly ok: boolean
  readonly checks: readonly CheckResult[]
  readonly counts: Readonly<Record<CheckStatus, number>>
}

/** The clerk-js major the doctor fetches unless told otherwise (the one current clerk-js loads). */
export const DEFAULT_CLERK_JS_VERSION = '6'

/**
 * The script path clerk-js is loaded from through a proxy, for a major or exact version.
 *
 * @example
 * clerkJsScriptPath('6') // '/npm/@clerk/clerk-js@6/dist/clerk.browser.js'
 */
export function clerkJsScriptPath(version: string): string {
  return `/npm/@clerk/clerk-js@${version}/dist/clerk.browser.js`
}

/**
 * Runs every check against a running proxy. Never throws for network failures: they become
 * failed checks. Checks that need the domain id are skipped, and say so, when it is unknown.
 *
 * @example
 * const report = await runDoctor({ url: 'https://app.example.com/__clerk', domainId: 'dmn_123' })
 * process.exitCode = report.ok ? 0 : 1
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const url = new URL(options.url)
  const prefix = url.pathname.replace(/\/+$/, '')
  const base = url.origin + prefix
  const progress = options.progress ?? (() => {})
  const probeOptions: ProbeOptions = { timeoutMs: options.timeoutMs ?? 15_000 }
  const get = (target: string, what: string, extra: ProbeOptions = {}): Promise<ProbeResult> => {
    progress(`${what}: GET ${target}`)
    return probe(target, { ...probeOptions, ...extra })
  }

  const checks: CheckResult[] = [checkHttps(url)]
  const environment = await get(`${base}/v1/environment`, 'environment')
  checks.push(checkPrefixAnswers(environment, prefix))
  if (environment.status === 0) {
    for (const [id, title] of Object.entries(CHECK_TITLES) as [CheckId, string][]) {
      if (!checks.some((c) => c.id === id)) checks.push({ id, title, status: 'skip', detail: 'the proxy did not answer' })
    }
    return report(options.url, checks)
  }
  const lookup = await lookUpDomain({
    url: base,
    progress,
    ...pick(options, ['domainId', 'domain', 'secretKey', 'apiUrl']),
  })
  checks.push(lookup.check)
  const outside = prefix === '' ? [] : [await get(`${url.origin}/v1/environment`, 'outside the prefix'), await get(`${base}-doctor/v1/environment`, 'next to the prefix')]
  const healthUrl = lookup.domainId === undefined ? undefined : `${base}/v1/proxy-health?domain_id=${encodeURIComponent(lookup.domainId)}`
  const forgedIp = `203.0.113.${randomInt(1, 255)}`
  const health = healthUrl && (await get(healthUrl, 'health check'))
  const second = healthUrl && (await get(healthUrl, 'health check again'))
  const forged = healthUrl && (await get(healthUrl, `forged X-Forwarded-For ${forgedIp}`, { headers: { 'x-forwarded-for': forgedIp, 'x-real-ip': forgedIp } }))
  const client = await get(`${base}/v1/client`, 'client')
  const script = await getFollowingRedirects(`${base}${clerkJsScriptPath(options.clerkJsVersion ?? DEFAULT_CLERK_JS_VERSION)}`, (target) =>
    get(target, 'clerk-js script', { headers: { 'accept-encoding': 'gzip, br' } }),
  )

  const sent = health ? proxyUrlSent(health) : undefined
  checks.push(
    checkOutsidePrefix(prefix, outside),
    checkProxyHealth(health || undefined, { domainId: lookup.domainId, url: base }),
    checkProxyUrl({
      url: base,
      ...(options.appProxyUrl === undefined ? {} : { app: options.appProxyUrl }),
      ...(sent === undefined ? {} : { sent }),
      ...(lookup.domain === undefined ? {} : { domainProxyUrl: lookup.domain.proxy_url ?? null }),
    }),
    health && second && forged
      ? checkClientIp({ url, first: health, second, ...(options.expectIp === undefined ? {} : { expectIp: options.expectIp }) })
      : skipped('client-ip'),
    health && forged ? checkForgedForwardedFor(health, forged, forgedIp) : skipped('forged-forwarded-for'),
    checkEnvironment(environment),
    checkClerkJs(script),
  )
  const all = [environment, ...outside, ...(health && second && forged ? [health, second, forged] : []), client, script]
  checks.push(checkNoSecret(all, options.secretKey), checkSetCookies([environment, client, ...(health && second ? [health, second] : [])]))
  return report(options.url, checks)
}

/** The Clerk-Proxy-Url Clerk reports having received in its proxy-health answer, when it does. */
function proxyUrlSent(health: ProbeResult): string | undefined {
  const reported = (jsonBody(health) as { proxy_url?: unknown } | undefined)?.proxy_url
  return typeof reported === 'string' ? reported : undefined
}

function skipped(id: CheckId): CheckResult {
  return { id, title: CHECK_TITLES[id], status: 'skip', detail: NO_DOMAIN_ID }
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): { [P in K]?: Exclude<T[P], undefined> } {
  const out: { [P in K]?: Exclude<T[P], undefined> } = {}
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key] as Exclude<T[K], undefined>
  return out
}

/** Follows up to three redirects, as a browser loading a script would. */
async function getFollowingRedirects(target: string, get: (url: string) => Promise<ProbeResult>): Promise<ProbeResult> {
  let result = await get(target)
  for (let hops = 0; hops < 3 && result.status >= 300 && result.status < 400 && typeof result.headers.location === 'string'; hops++) {
    result = await get(new URL(result.headers.location, result.url).href)
  }
  return result
}

function report(url: string, checks: CheckResult[]): DoctorReport {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 }
  for (const c of checks) counts[c.status]++
  return { url, ok: counts.fail === 0, checks, counts }
}

const LABELS: Readonly<Record<CheckStatus, string>> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' }

/**
 * The checklist as people read it.
 *
 * @example
 * process.stdout.write(formatReport(await runDoctor({ url })))
 */
export function formatReport(report: DoctorReport): string {
  const lines = [`clerk-proxy doctor: ${report.url}`, '']
  for (const c of report.checks) {
    lines.push(`  ${LABELS[c.status]}  ${c.title}`, `        ${c.detail}`)
    if (c.fix && (c.status === 'fail' || c.status === 'warn')) lines.push(`        fix: ${c.fix}`)
  }
  const { pass, warn, fail, skip } = report.counts
  lines.push('', `${report.checks.length} checks: ${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed, ${skip} skipped.`)
  const unchecked = report.checks.filter((c) => c.detail === NO_DOMAIN_ID).length
  if (!report.ok) lines.push('Fix the failures above, redeploy, and run doctor again.')
  else if (unchecked > 0) lines.push(`No failures in the checks made, but ${unchecked} could not be made without the domain id (see the domain_id line); the proxy is not confirmed yet.`)
  else lines.push('The proxy is ready. Next: clerk-proxy enable --proxy-url ' + report.url)
  return lines.join('\n') + '\n'
}

/** The `doctor --help` text. */
export const DOCTOR_USAGE: string = `clerk-proxy doctor: check a deployed proxy from outside, as a browser reaches it

Usage:
  clerk-proxy doctor <public proxy URL> [options]
  clerk-proxy doctor https://app.example.com/__clerk

Checks: HTTPS; the prefix answers and paths outside it do not reach Clerk; Clerk's
/v1/proxy-health?domain_id=… reports healthy and sees your IP; a forged X-Forwarded-For changes
nothing; the app's proxy URL equals the Clerk-Proxy-Url the proxy sends (the iss of session
tokens); /v1/environment answers JSON; the clerk-js script decodes with Accept-Encoding: gzip,
br (and its size on the wire); no response carries a secret key; Set-Cookie headers are not
merged. Clerk's proxy-health needs the domain id: give it with --domain-id, or set
CLERK_SECRET_KEY and doctor looks it up (GET /v1/domains, picked as enable picks it); without
either, those checks are reported as not made.
Exits 0 when no check failed (warnings and skips allowed), 1 otherwise.

Options:
      --domain-id <dmn_…>    the Clerk domain to check (default: CLERK_DOMAIN_ID, else looked up)
      --domain <name|id>     pick this domain among the instance's when looking it up
      --app-proxy-url <url>  the proxy URL your app's Clerk SDK is configured with (default:
                             NEXT_PUBLIC_CLERK_PROXY_URL, else CLERK_PROXY_URL)
      --expect-ip <ip>       your public IP, to confirm Clerk sees it (default: loopback for a
                             localhost URL; otherwise doctor can only rule out private addresses)
      --clerk-js <version>   clerk-js major or version whose script to fetch (default ${DEFAULT_CLERK_JS_VERSION})
      --timeout <ms>         per-request timeout (default 15000)
      --json                 print the results as JSON (no progress output)
      --env-file <path>      read variables from this file (default: .env, if present)
  -h, --help                 show this help

Environment:
  CLERK_PROXY_URL            used when no URL is given; also the app's proxy URL (see above)
  NEXT_PUBLIC_CLERK_PROXY_URL  the app's proxy URL, compared byte for byte
  CLERK_DOMAIN_ID            the Clerk domain to check (like --domain-id)
  CLERK_SECRET_KEY           optional, never sent to the proxy: looks up the domain id in the
                             Backend API and checks that no response contains it
  CLERK_API_URL              Backend API origin for the lookup (default https://api.clerk.com)
`

/**
 * Runs `clerk-proxy doctor` with the given arguments (after `doctor`); resolves with the exit code.
 *
 * @example
 * process.exitCode = await doctorCommand(['https://app.example.com/__clerk', '--json'], io)
 */
export async function doctorCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const started = startCommand(argv, io, 'doctor', DOCTOR_USAGE, {
    json: { type: 'boolean' },
    'expect-ip': { type: 'string' },
    'domain-id': { type: 'string' },
    domain: { type: 'string' },
    'app-proxy-url': { type: 'string' },
    'clerk-js': { type: 'string' },
    timeout: { type: 'string' },
  }, true)
  if (typeof started === 'number') return started
  const { values, positionals } = started
  io = redactingIo(io, io.env['CLERK_SECRET_KEY'] || undefined)
  try {
    if (positionals.length > 1) throw new UsageError(`expected one proxy URL, got ${positionals.length}`)
    const url = positionals[0] ?? io.env['CLERK_PROXY_URL']
    if (!url) throw new UsageError('give the public proxy URL, e.g. clerk-proxy doctor https://app.example.com/__clerk')
    const parsed = parseProxyUrl(url)
    const expectIp = values['expect-ip']
    if (expectIp !== undefined && normalizeIp(expectIp) === undefined) throw new UsageError(`--expect-ip must be an IP address, got "${expectIp}"`)
    const timeout = values.timeout
    if (timeout !== undefined && !/^\d+$/.test(timeout)) throw new UsageError(`--timeout must be milliseconds, got "${timeout}"`)
    const clerkJs = values['clerk-js']
    if (clerkJs !== undefined && !/^[0-9A-Za-z.+-]+$/.test(clerkJs)) throw new UsageError(`--clerk-js must be a version like 6 or 6.40.0, got "${clerkJs}"`)
    const json = values.json ?? false
    const secretKey = io.env['CLERK_SECRET_KEY'] || undefined
    const domainId = values['domain-id'] ?? (io.env['CLERK_DOMAIN_ID'] || undefined)
    if (domainId !== undefined && !/^[A-Za-z0-9_]+$/.test(domainId)) throw new UsageError(`--domain-id must be a Clerk domain id like dmn_2abc…, got "${domainId}"`)
    const appProxyUrl = appProxyUrlFrom(values['app-proxy-url'], io.env)
    const apiUrl = io.env['CLERK_API_URL'] || undefined
    const result = await runDoctor({
      url: parsed,
      ...(expectIp === undefined ? {} : { expectIp }),
      ...(secretKey === undefined ? {} : { secretKey }),
      ...(domainId === undefined ? {} : { domainId }),
      ...(values.domain === undefined ? {} : { domain: values.domain }),
      ...(apiUrl === undefined ? {} : { apiUrl }),
      ...(appProxyUrl === undefined ? {} : { appProxyUrl }),
      ...(clerkJs === undefined ? {} : { clerkJsVersion: clerkJs }),
      ...(timeout === undefined ? {} : { timeoutMs: Number(timeout) }),
      ...(json ? {} : { progress: (step: string) => void io.stderr.write(`  … ${step}\n`) }),
    })
    io.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : formatReport(result))
    return result.ok ? 0 : 1
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, 'doctor', error.message)
    throw error
  }
}

/**
 * A public proxy URL given on the command line, in the one spelling the proxy uses
 * (`parseHttpUrl`: no trailing slash; no query, fragment, credentials or other scheme).
 *
 * @example
 * parseProxyUrl('https://app.example.com/__clerk/') // 'https://app.example.com/__clerk'
 */
export function parseProxyUrl(text: string): string {
  const parsed = parseHttpUrl(text)
  if (!parsed.ok) throw new UsageError(`the proxy URL ${parsed.problem} (e.g. https://app.example.com/__clerk)`)
  return parsed.href
}

/** The app's configured proxy URL, exactly as given: the option, else the frameworks' variables. */
function appProxyUrlFrom(option: string | undefined, env: CommandIo['env']): { value: string; source: string } | undefined {
  if (option !== undefined) return { value: option, source: '--app-proxy-url' }
  for (const name of ['NEXT_PUBLIC_CLERK_PROXY_URL', 'CLERK_PROXY_URL']) {
    const value = env[name]
    if (value) return { value, source: name }
  }
  return undefined
}

