/**
 * `clerk-proxy enable` and `clerk-proxy disable`: switch a Clerk instance's domain to the
 * proxy (or back) through the Backend API, after checking the proxy with `doctor` and Clerk's
 * own proxy check.
 */
import { UsageError } from './args.ts'
import { BackendApi, ClerkApiError, formatClerkApiError, type ClerkDomain } from './backend-api.ts'
import { parseProxyUrl } from './doctor.ts'
import { formatReport, runDoctor } from './doctor.ts'
import { redactingIo, startCommand, usageError, type CommandIo } from './io.ts'
import { describeDomain, pickDomain, type DomainHint } from './pick-domain.ts'

/** The `enable --help` text. */
export const ENABLE_USAGE: string = `clerk-proxy enable: switch your Clerk instance to the proxy

Usage:
  clerk-proxy enable --proxy-url <url> [--domain <name or id>] [--dry-run] [--skip-doctor]

Steps: lists the instance's domains and picks the one the URL belongs to (asks when that is
ambiguous and stdin is a terminal, otherwise fails with the list); runs clerk-proxy doctor on
the URL for that domain; runs Clerk's proxy check (POST /v1/proxy_checks); sets the domain's
proxy_url (PATCH /v1/domains/{id}) and confirms.

Options:
      --proxy-url <url>      the public proxy URL, e.g. https://app.example.com/__clerk
                             (default: CLERK_PROXY_URL)
      --domain <name|id>     the domain to change (example.com or dmn_…)
      --dry-run              do everything except the change (no PATCH)
      --skip-doctor          do not run clerk-proxy doctor first
      --expect-ip <ip>       passed to doctor
      --env-file <path>      read variables from this file (default: .env, if present)
  -h, --help                 show this help

Environment:
  CLERK_SECRET_KEY           the instance's secret key (sk_live_…); required, never printed
  CLERK_API_URL              Backend API origin (default https://api.clerk.com)
`

/** The `disable --help` text. */
export const DISABLE_USAGE: string = `clerk-proxy disable: switch your Clerk instance back to its own Frontend API domain

Usage:
  clerk-proxy disable [--domain <name or id>] [--dry-run]

Sets the domain's proxy_url to null (PATCH /v1/domains/{id}) and confirms. Picks the only
domain that has a proxy, or asks (fails with the list when stdin is not a terminal).

Options:
      --domain <name|id>     the domain to change (example.com or dmn_…)
      --dry-run              show what would change, change nothing
      --env-file <path>      read variables from this file (default: .env, if present)
  -h, --help                 show this help

Environment:
  CLERK_SECRET_KEY           the instance's secret key (sk_live_…); required, never printed
  CLERK_API_URL              Backend API origin (default https://api.clerk.com)
`

/**
 * Runs `clerk-proxy enable` (arguments after `enable`); resolves with the exit code: 0 done
 * (or dry run passed), 1 a check or Clerk failed, 2 a usage mistake.
 *
 * @example
 * process.exitCode = await enableCommand(['--proxy-url', 'https://app.example.com/__clerk'], io)
 */
export async function enableCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const started = startCommand(argv, io, 'enable', ENABLE_USAGE, {
    'proxy-url': { type: 'string' },
    domain: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'skip-doctor': { type: 'boolean' },
    'expect-ip': { type: 'string' },
  })
  if (typeof started === 'number') return started
  const { values } = started
  const secretKey = io.env['CLERK_SECRET_KEY'] || undefined
  const out = redactingIo(io, secretKey)
  let proxyUrl: string
  try {
    const given = values['proxy-url'] ?? io.env['CLERK_PROXY_URL']
    if (!given) throw new UsageError('give the public proxy URL with --proxy-url, e.g. --proxy-url https://app.example.com/__clerk')
    proxyUrl = parseProxyUrl(given)
  } catch (error) {
    if (error instanceof UsageError) return usageError(out, 'enable', error.message)
    throw error
  }
  if (!secretKey) return missingSecret(out)
  warnDevelopmentKey(out, secretKey)

  const api = backendApi(out, secretKey)
  try {
    out.stdout.write('Step 1/4: finding the domain\n')
    const domain = await chooseDomain(out, api, { proxyUrl, ...(values.domain === undefined ? {} : { domain: values.domain }) }, 'enable')
    if (typeof domain === 'number') return domain

    if (!values['skip-doctor']) {
      out.stdout.write(`Step 2/4: checking ${proxyUrl} with clerk-proxy doctor\n\n`)
      const report = await runDoctor({
        url: proxyUrl,
        secretKey,
        domainId: domain.id,
        ...(values['expect-ip'] === undefined ? {} : { expectIp: values['expect-ip'] }),
        progress: (step) => void out.stderr.write(`  … ${step}\n`),
      })
      out.stdout.write(formatReport(report).replace(/\n[^\n]*\n$/, '\n') + '\n')
      if (!report.ok) {
        out.stderr.write('clerk-proxy enable: doctor found failures; nothing was changed. Fix them and run again (or pass --skip-doctor to let Clerk\'s check decide).\n')
        return 1
      }
    } else out.stdout.write('Step 2/4: doctor skipped (--skip-doctor)\n')

    out.stdout.write(`Step 3/4: Clerk's proxy check for ${proxyUrl}\n`)
    const check = await api.checkProxy(domain.id, proxyUrl)
    if (!check.successful) {
      out.stdout.write(`  Clerk's check failed: Clerk could not use ${proxyUrl} to reach its Frontend API.\n`)
      out.stderr.write(`clerk-proxy enable: nothing was changed. Run clerk-proxy doctor ${proxyUrl} and fix what it reports; Clerk checks from the internet, so the URL must be public.\n`)
      return 1
    }
    out.stdout.write(`  Clerk's check passed${check.id ? ` (${check.id})` : ''}.\n`)

    const patch = `PATCH /v1/domains/${domain.id} {"proxy_url":"${proxyUrl}"}`
    if (domain.proxy_url === proxyUrl) {
      out.stdout.write(`Step 4/4: ${domain.name} already uses ${proxyUrl}; nothing to change.\n`)
      return 0
    }
    if (values['dry-run']) {
      out.stdout.write(`Step 4/4: dry run: would send ${patch}. Nothing was changed.\n`)
      return 0
    }
    out.stdout.write(`Step 4/4: setting the proxy URL of ${domain.name}\n`)
    const updated = await api.setProxyUrl(domain.id, proxyUrl)
    if (updated.proxy_url !== proxyUrl) {
      out.stderr.write(`clerk-proxy enable: Clerk answered, but the domain's proxy_url is now ${JSON.stringify(updated.proxy_url ?? null)}, not ${proxyUrl}. Check the Dashboard (Domains).\n`)
      return 1
    }
    out.stdout.write(
      `  Done: ${updated.name} now uses ${proxyUrl}.\n\n` +
        `Next: make your app's Clerk SDK use the proxy too, e.g. proxyUrl="${proxyUrl}" on <ClerkProvider>\n` +
        `or the CLERK_PROXY_URL / NEXT_PUBLIC_CLERK_PROXY_URL variable of your framework, and redeploy.\n` +
        `To undo: clerk-proxy disable --domain ${updated.name}\n`,
    )
    return 0
  } catch (error) {
    return apiFailure(out, 'enable', error)
  }
}

/**
 * Runs `clerk-proxy disable` (arguments after `disable`); resolves with the exit code.
 *
 * @example
 * process.exitCode = await disableCommand(['--domain', 'example.com'], io)
 */
export async function disableCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const started = startCommand(argv, io, 'disable', DISABLE_USAGE, {
    domain: { type: 'string' },
    'dry-run': { type: 'boolean' },
  })
  if (typeof started === 'number') return started
  const { values } = started
  const secretKey = io.env['CLERK_SECRET_KEY'] || undefined
  const out = redactingIo(io, secretKey)
  if (!secretKey) return missingSecret(out)
  const api = backendApi(out, secretKey)
  try {
    const domain = await chooseDomain(out, api, { withProxy: true, ...(values.domain === undefined ? {} : { domain: values.domain }) }, 'disable')
    if (typeof domain === 'number') return domain
    if (!domain.proxy_url) {
      out.stdout.write(`${domain.name} does not use a proxy; nothing to change.\n`)
      return 0
    }
    if (values['dry-run']) {
      out.stdout.write(`Dry run: would send PATCH /v1/domains/${domain.id} {"proxy_url":null}, switching ${domain.name} off ${domain.proxy_url}. Nothing was changed.\n`)
      return 0
    }
    const updated = await api.setProxyUrl(domain.id, null)
    if (updated.proxy_url) {
      out.stderr.write(`clerk-proxy disable: Clerk answered, but ${updated.name} still uses ${updated.proxy_url}. Check the Dashboard (Domains).\n`)
      return 1
    }
    out.stdout.write(
      `Done: ${updated.name} no longer uses ${domain.proxy_url}; browsers reach Clerk's Frontend API directly.\n` +
        `Remove proxyUrl / CLERK_PROXY_URL from your app's Clerk configuration and redeploy.\n`,
    )
    return 0
  } catch (error) {
    return apiFailure(out, 'disable', error)
  }
}

/** Lists the domains and settles on one, asking when a person can answer. Returns an exit code on failure. */
async function chooseDomain(io: CommandIo, api: BackendApi, hint: DomainHint, command: string): Promise<ClerkDomain | number> {
  const domains = await api.listDomains()
  const choice = pickDomain(domains, hint)
  if (choice.kind === 'picked') {
    io.stdout.write(`  Domain: ${describeDomain(choice.domain)}; ${choice.why}.\n`)
    return choice.domain
  }
  const list = (choice.kind === 'none' ? domains : choice.candidates).map((d, i) => `  ${i + 1}) ${describeDomain(d)}`).join('\n')
  if (choice.kind === 'none') {
    io.stderr.write(`clerk-proxy ${command}: ${choice.why}. The instance's domains:\n${list || '  (none)'}\n`)
    return 1
  }
  if (!io.ask) {
    io.stderr.write(`clerk-proxy ${command}: which domain? ${choice.why}:\n${list}\nPass --domain <name or id>.\n`)
    return 1
  }
  io.stderr.write(`Which domain (${choice.why})?\n${list}\n`)
  const answer = (await io.ask(`Number 1-${choice.candidates.length}: `)).trim()
  const picked = choice.candidates[Number(answer) - 1]
  if (!/^\d+$/.test(answer) || !picked) {
    io.stderr.write(`clerk-proxy ${command}: "${answer}" is not one of 1-${choice.candidates.length}; nothing was changed.\n`)
    return 1
  }
  io.stdout.write(`  Domain: ${describeDomain(picked)}; your choice.\n`)
  return picked
}

function backendApi(io: CommandIo, secretKey: string): BackendApi {
  return new BackendApi({ secretKey, apiUrl: io.env['CLERK_API_URL'] || undefined, progress: (step) => void io.stderr.write(`  … ${step}\n`) } as const)
}

function apiFailure(io: CommandIo, command: string, error: unknown): number {
  if (!(error instanceof ClerkApiError)) throw error
  io.stderr.write(`clerk-proxy ${command}: ${formatClerkApiError(error)}\nNothing was changed.\n`)
  return 1
}

function missingSecret(io: CommandIo): number {
  io.stderr.write('clerk-proxy: CLERK_SECRET_KEY is not set. Set it to your production instance\'s secret key (sk_live_…) in the environment or a .env file.\n')
  return 1
}

function warnDevelopmentKey(io: CommandIo, secretKey: string): void {
  if (secretKey.startsWith('sk_test_')) io.stderr.write('clerk-proxy: warning: CLERK_SECRET_KEY is a development key (sk_test_…); Clerk supports proxying for production instances only.\n')
}

