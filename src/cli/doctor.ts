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
  checkSetCookies,
  type CheckId,
  type CheckResult,
  type CheckStatus,
} from './doctor-checks.ts'
import { probe, type ProbeOptions, type ProbeResult } from './http-probe.ts'
import { startCommand, usageError, type CommandIo } from './io.ts'
import { UsageError } from './args.ts'
import { normalizeIp } from '../ip.ts'

/** What to check and how. */
export interface DoctorOptions {
  /** The public proxy URL, e.g. `https://app.example.com/__clerk`. */
  readonly url: string
  /** The caller's public IP, to compare with the one Clerk sees. */
  readonly expectIp?: string
  /** When set, no response header or body may contain it. */
  readonly secretKey?: string
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
 * failed checks.
 *
 * @example
 * const report = await runDoctor({ url: 'https://app.example.com/__clerk' })
 * process.exitCode = report.ok ? 0 : 1
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const url = new URL(options.url)
  const base = url.origin + url.pathname.replace(/\/+$/, '')
  const prefix = url.pathname.replace(/\/+$/, '')
  const progress = options.progress ?? (() => {})
  const probeOptions: ProbeOptions = { timeoutMs: options.timeoutMs ?? 15_000 }
  const get = (target: string, what: string, extra: ProbeOptions = {}): Promise<ProbeResult> => {
    progress(`${what}: GET ${target}`)
    return probe(target, { ...probeOptions, ...extra })
  }

  const checks: CheckResult[] = [checkHttps(url)]
  const health = await get(`${base}/v1/proxy-health`, 'health check')
  checks.push(checkPrefixAnswers(health, prefix))
  if (health.status === 0) {
    for (const [id, title] of Object.entries(CHECK_TITLES) as [CheckId, string][]) {
    if (!checks.some((c) => c.id === id)) checks.push({ id, title, status: 'skip', detail: 'the proxy did not answer' })
    }
    return report(options.url, checks)
  }
  const outside = prefix === '' ? [] : [await get(`${url.origin}/v1/proxy-health`, 'outside the prefix'), await get(`${base}-doctor/v1/proxy-health`, 'next to the prefix')]
  const second = await get(`${base}/v1/proxy-health`, 'health check again')
  const forgedIp = `203.0.113.${randomInt(1, 255)}`
  const forged = await get(`${base}/v1/proxy-health`, `forged X-Forwarded-For ${forgedIp}`, { headers: { 'x-forwarded-for': forgedIp, 'x-real-ip': forgedIp } })
  const environment = await get(`${base}/v1/environment`, 'environment')
  const client = await get(`${base}/v1/client`, 'client')
  const script = await getFollowingRedirects(`${base}${clerkJsScriptPath(options.clerkJsVersion ?? DEFAULT_CLERK_JS_VERSION)}`, (target) =>
    get(target, 'clerk-js script', { headers: { 'accept-encoding': 'gzip, br' } }),
  )

  checks.push(
    checkOutsidePrefix(prefix, outside),
    checkProxyHealth(health),
    checkClientIp({ url, first: health, second, ...(options.expectIp === undefined ? {} : { expectIp: options.expectIp }) }),
    checkForgedForwardedFor(health, forged, forgedIp),
    checkEnvironment(environment),
    checkClerkJs(script),
  )
  const all = [health, ...outside, second, forged, environment, client, script]
  checks.push(checkNoSecret(all, options.secretKey), checkSetCookies([health, second, environment, client]))
  return report(options.url, checks)
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
  lines.push(report.ok ? 'The proxy is ready. Next: clerk-proxy enable --proxy-url ' + report.url : 'Fix the failures above, redeploy, and run doctor again.')
  return lines.join('\n') + '\n'
}

/** The `doctor --help` text. */
export const DOCTOR_USAGE: string = `clerk-proxy doctor: check a deployed proxy from outside, as a browser reaches it

Usage:
  clerk-proxy doctor <public proxy URL> [options]
  clerk-proxy doctor https://app.example.com/__clerk

Checks: HTTPS; the prefix answers and paths outside it do not reach Clerk; Clerk's
/v1/proxy-health reports healthy and sees your IP; a forged X-Forwarded-For changes nothing;
/v1/environment answers JSON; the clerk-js script decodes with Accept-Encoding: gzip, br (and
its size on the wire); no response carries a secret key; Set-Cookie headers are not merged.
Exits 0 when no check failed (warnings allowed), 1 otherwise.

Options:
    --expect-ip <ip>       your public IP, to confirm Clerk sees it (default: loopback for a
                             localhost URL; otherwise doctor can only rule out private addresses)
    --clerk-js <version>   clerk-js major or version whose script to fetch (default ${DEFAULT_CLERK_JS_VERSION})
    --timeout <ms>         per-request timeout (default 15000)
    --json                 print the results as JSON (no progress output)
    --env-file <path>      read variables from this file (default: .env, if present)
  -h, --help                 show this help

Environment:
  CLERK_PROXY_URL            used when no URL is given
  CLERK_SECRET_KEY           optional: when set, doctor also checks that no response contains it
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
    'clerk-js': { type: 'string' },
    timeout: { type: 'string' },
  }, true)
  if (typeof started === 'number') return started
  const { values, positionals } = started
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
    const result = await runDoctor({
    url: parsed.href.replace(/\/+$/, ''),
    ...(expectIp === undefined ? {} : { expectIp }),
    ...(secretKey === undefined ? {} : { secretKey }),
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
 * Parses a public proxy URL given on the command line: http(s), no query or fragment.
 *
 * @example
 * parseProxyUrl('https://app.example.com/__clerk').pathname // '/__clerk'
 */
export function parseProxyUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`not a URL: "${text}" (expected e.g. https://app.example.com/__clerk)`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`the proxy URL must start with https://, got "${text}"`)
  if (url.search || url.hash) throw new UsageError(`the proxy URL must not have a query or fragment, got "${text}"`)
  return url
}

