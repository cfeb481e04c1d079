/** What the standalone servers print when they start, or cannot. */
import type { ProxyConfig } from '../config/proxy.ts'
import { ConfigurationError } from '../errors.ts'
import type { LogFormat, Logger } from '../log.ts'

/**
 * `http://host:port`, with an IPv6 address in brackets.
 *
 * @example
 * serverUrl('::1', 3000) // 'http://[::1]:3000'
 */
export function serverUrl(hostname: string, port: number): string {
  return `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`
}

const DERIVED_PROXY_URL = '(derived per request from the Host header; set CLERK_PROXY_URL in production)'

/**
 * The fields of the start-up notice: what the server proxies and how, and where its metrics
 * are served. Never the secret key.
 *
 * @example
 * logger.info(`clerk-proxy listening on ${url}`, startupFields(config))
 */
export function startupFields(config: ProxyConfig, metricsUrl?: string): Record<string, string | number> {
  const trust = config.trustProxy
  return {
    prefix: config.proxyPath || '/',
    fapi: config.fapiOrigin + config.fapiBasePath,
    proxyUrl: config.proxyUrl ?? DERIVED_PROXY_URL,
    trustProxy: trust.kind === 'none' ? 'none' : trust.kind === 'hops' ? `${trust.hops} hop(s)` : trust.description,
    timeoutMs: config.timeoutMs,
    ...(metricsUrl ? { metrics: `${metricsUrl}/metrics` } : {}),
  }
}

/**
 * The start-up notice: where the server listens and what it proxies to. It never contains
 * the secret key.
 *
 * @example
 * console.log(startupNotice('bun', 'http://0.0.0.0:3000', config))
 */
export function startupNotice(runtime: string, url: string, config: ProxyConfig, metricsUrl?: string): string {
  const fields = startupFields(config, metricsUrl)
  return [
    `clerk-proxy (${runtime}) listening on ${url}`,
    `  prefix:    ${fields['prefix']}`,
    `  fapi:      ${fields['fapi']}`,
    `  proxyUrl:  ${fields['proxyUrl']}`,
    `  trustProxy: ${fields['trustProxy']}`,
    `  timeoutMs: ${fields['timeoutMs']}`,
    ...(metricsUrl ? [`  metrics:   ${fields['metrics']}`] : []),
  ].join('\n')
}

/**
 * Prints that the server started: the {@link startupNotice} lines, or with the `json` log one
 * JSON line through `logger` (so every line of the output parses).
 *
 * @example
 * announceStart('bun', running.url, running.config, 'pretty', running.logger, (line) => console.log(line))
 */
export function announceStart(
  runtime: string,
  url: string,
  config: ProxyConfig,
  format: LogFormat,
  logger: Logger | undefined,
  write: (line: string) => void,
  metricsUrl?: string,
): void {
  if (format !== 'json') return write(startupNotice(runtime, url, config, metricsUrl))
  logger?.info(`clerk-proxy listening on ${url} (${runtime})`, startupFields(config, metricsUrl))
}

/**
 * The message to print when a server cannot start because of its configuration or its
 * address, or `undefined` for any other error (which the caller rethrows). `hint` says where
 * the settings come from.
 *
 * @example
 * const message = startupFailure(error)
 * if (message) { console.error(message); exit(1) }
 */
export function startupFailure(error: unknown, hint = 'Set these in the environment (the same variables as the clerk-proxy CLI).'): string | undefined {
  if (error instanceof ConfigurationError) return `clerk-proxy: ${error.message}\n${hint}`
  const code = (error as { code?: unknown } | null)?.code
  const name = (error as { name?: unknown } | null)?.name
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || name === 'AddrInUse' || name === 'PermissionDenied') {
    return `clerk-proxy: cannot listen: ${(error as Error).message}`
  }
  return undefined
}
