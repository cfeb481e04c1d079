/**
 * What a standalone server (Node, Bun, Deno) needs besides the proxy settings: where to
 * listen, the log, its timeouts, the shutdown bound and the operating settings (metrics
 * listener, workers: operations.ts). Resolved once, together with the proxy
 * settings, into one {@link ServerConfig}; the servers read that object, never the
 * environment. New server-wide settings belong in {@link SERVER_SETTINGS} and the schema
 * below, or, as a group, in a file of their own read here (operations.ts, upstream.ts).
 */
import * as z from 'zod/mini'
import { ConfigurationError } from '../errors.ts'
import type { LogFormat, Logger } from '../log.ts'
import { readProxySettings, type ProxyConfig, type ProxyConfigOptions } from './proxy.ts'
import { readOperationsSettings, type OperationsConfig } from './operations.ts'
import { readUpstreamSettings, type UpstreamConfig, type UpstreamOptions } from './upstream.ts'
import { fail, portNumber, readSettings, trimmedString } from './settings.ts'

/** The server settings a program can pass; each mirrors an environment variable and wins over it. */
export interface ServerConfigOptions extends ProxyConfigOptions, UpstreamOptions {
  /** Port to listen on (`PORT`, default 3000; 0 picks a free one). */
  port?: number
  /** Address to bind (`HOST`, default `0.0.0.0`). */
  host?: string
  /** Access log and notices (`CLERK_PROXY_LOG`): `pretty` (default), `json`, `off`, or your own {@link Logger}. */
  log?: LogFormat | Logger
  /** How long in-flight requests may run after SIGTERM/SIGINT (`CLERK_PROXY_SHUTDOWN_TIMEOUT`, default 10 s). */
  shutdownTimeoutMs?: number
  /** Milliseconds a client has to send its request headers (`CLERK_PROXY_HEADERS_TIMEOUT`, default 20 s; Node). */
  headersTimeoutMs?: number
  /** Milliseconds a client has to send its whole request (`CLERK_PROXY_REQUEST_TIMEOUT`, default 120 s, 0 disables it; Node). */
  requestTimeoutMs?: number
  /** Port of the Prometheus metrics listener (`CLERK_PROXY_METRICS_PORT`); no listener when unset. */
  metricsPort?: number | string
  /** Address the metrics listener binds (`CLERK_PROXY_METRICS_HOST`, default `127.0.0.1`). */
  metricsHost?: string
  /** Node worker processes (`CLERK_PROXY_WORKERS`): a count, or `auto` for one per CPU (default 1; the CLI only). */
  workers?: number | string
}

/** Everything a standalone server runs with, validated. */
export interface ServerConfig {
  /** What each proxied request needs. */
  readonly proxy: ProxyConfig
  /** The port to listen on (0: any free port). */
  readonly port: number
  /** The address to bind. */
  readonly hostname: string
  /** The access log's format; `off` writes nothing. */
  readonly log: LogFormat
  /** Bound on in-flight requests after SIGTERM/SIGINT, in milliseconds. */
  readonly shutdownTimeoutMs: number
  /** Milliseconds a client has to send its request headers (slow-loris guard). */
  readonly headersTimeoutMs: number
  /** Milliseconds a client has to send its whole request; 0: no limit. */
  readonly requestTimeoutMs: number
  /** Where the Prometheus metrics listener binds; `undefined` when metrics are off. */
  readonly metrics: OperationsConfig['metrics']
  /** How many Node worker processes serve requests (1: no cluster). */
  readonly workers: number
  /** How the connections to the Frontend API are kept (docs/network.md). */
  readonly upstream: UpstreamConfig
}

/** Default port of the standalone servers (`PORT`). */
export const DEFAULT_PORT = 3000
/** Default address of the standalone servers (`HOST`): every interface. */
export const DEFAULT_HOST = '0.0.0.0'
/** Default bound on in-flight requests after SIGTERM/SIGINT (`CLERK_PROXY_SHUTDOWN_TIMEOUT`). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000
/** Default time a client has to send its request headers (`CLERK_PROXY_HEADERS_TIMEOUT`). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000
/** Default time a client has to send its whole request (`CLERK_PROXY_REQUEST_TIMEOUT`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000

/** Each server setting: its option name and the environment variable that carries it. */
const SERVER_SETTINGS = {
  port: ['PORT'],
  host: ['HOST'],
  log: ['CLERK_PROXY_LOG'],
  shutdownTimeoutMs: ['CLERK_PROXY_SHUTDOWN_TIMEOUT'],
  headersTimeoutMs: ['CLERK_PROXY_HEADERS_TIMEOUT'],
  requestTimeoutMs: ['CLERK_PROXY_REQUEST_TIMEOUT'],
} as const

const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json', 'off']


// Whole milliseconds (`20000`) or seconds (`20s`); 0 is allowed (a disabled request timeout).
const wholeDuration = z.pipe(
  z.union([z.number(), z.string()]),
  z.transform((value: number | string, ctx) => {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value
    const match = typeof value === 'string' ? /^(\d+)\s*(ms|s)?$/.exec(value.trim()) : null
    if (!match) return fail(ctx, value, `must be a duration in milliseconds (20000) or seconds (20s), got "${value}"`)
    return Number(match[1]) * (match[2] === 's' ? 1000 : 1)
  }),
)

const schema = z.object({
  port: z.optional(portNumber()),
  host: z.optional(trimmedString()),
  log: z.optional(
    z.pipe(
      trimmedString(),
      z.transform((value: string, ctx) =>
        (LOG_FORMATS as readonly string[]).includes(value) ? (value as LogFormat) : fail(ctx, value, `must be one of ${LOG_FORMATS.join(', ')}, got "${value}"`),
      ),
    ),
  ),
  shutdownTimeoutMs: z.optional(wholeDuration),
  headersTimeoutMs: z.optional(wholeDuration),
  requestTimeoutMs: z.optional(wholeDuration),
})

/**
 * Validates the proxy and server settings of `options` and `options.env` once. Throws one
 * {@link ConfigurationError} listing every problem, each naming its variable or option (never
 * printing the secret). `cpuCount` is what `workers: 'auto'` means (the CLI passes the CPUs).
 *
 * @example
 * const config = resolveServerConfig({ env: process.env, port: 8080 })
 * config.port // 8080
 */
export function resolveServerConfig(options: ServerConfigOptions = {}, cpuCount = 1): ServerConfig {
  const problems: string[] = []
  const proxy = readProxySettings(options, problems)
  // A logger object is the program's own; only a format name is a setting.
  const given = { ...options, log: typeof options.log === 'string' ? options.log : undefined }
  const value = readSettings(SERVER_SETTINGS, schema, given, options.env, problems)
  const operations = readOperationsSettings(options, cpuCount, problems)
  const upstream = readUpstreamSettings(options, problems)
  if (!proxy || !value || !operations || !upstream) throw new ConfigurationError(problems)
  return Object.freeze({
    proxy,
    port: value.port ?? DEFAULT_PORT,
    hostname: value.host ?? DEFAULT_HOST,
    log: value.log ?? 'pretty',
    shutdownTimeoutMs: value.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    headersTimeoutMs: value.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: value.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    ...operations,
    upstream,
  })
}
