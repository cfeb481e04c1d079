// zod/mini: the same validation as classic zod at a fraction of the bundle size (tree-shakable;
// classic zod alone made an edge bundle ~90 KB gzipped, zod/mini ~6 KB).
import * as z from 'zod/mini'
import { parseTrustProxy, TRUST_NONE, type TrustProxy } from './client-ip.ts'
import { ConfigurationError } from './errors.ts'
import { DEFAULT_FAPI_URL, fapiUrlFromPublishableKey } from './fapi-url.ts'
import { parseHttpUrl } from './public-url.ts'
import { DEFAULT_MAX_BODY_BYTES, parseByteSize } from './request-limits.ts'

/** Where configuration values come from: a plain object (`process.env`) or a lookup function. */
export type EnvSource = Readonly<Record<string, string | undefined>> | ((name: string) => string | undefined)

/** Options for {@link clerkProxy}; each mirrors an environment variable and wins over it. */
export interface ProxyConfigOptions {
  /** The instance secret key (`CLERK_SECRET_KEY`), sent to Clerk as `Clerk-Secret-Key`. */
  secretKey?: string
  /** The publishable key (`CLERK_PUBLISHABLE_KEY`), used to pick the FAPI host. */
  publishableKey?: string
  /** The Frontend API base URL (`CLERK_FAPI_URL`, alias `CLERK_FAPI`). */
  fapiUrl?: string
  /** The full public proxy URL (`CLERK_PROXY_URL`), e.g. `https://app.example.com/__clerk`. */
  proxyUrl?: string
  /** The path prefix served (`CLERK_PROXY_PATH`); defaults to the path of `proxyUrl`, else `/__clerk`. */
  proxyPath?: string
  /** Which proxies in front to believe (`TRUST_PROXY`): a hop count or addresses/CIDRs. */
  trustProxy?: string | number | readonly string[] | false
  /** Upstream timeout in milliseconds, or a duration like `"30s"` (`CLERK_PROXY_TIMEOUT`). */
  timeout?: number | string
  /**
   * Largest request body accepted, in bytes or as `"10mb"` (`CLERK_PROXY_MAX_BODY`, default
   * 10 MiB, `0` for no limit). Larger bodies get `413` without being read.
   */
  maxBodySize?: number | string
  /** Where to read the environment from; defaults to nothing (options only). */
  env?: EnvSource
  // Upstream connection pool (Node server; see docs/network.md "Settings").
  /**
   * How long an idle upstream connection is kept, in ms or as `"300s"`
   * (`CLERK_PROXY_UPSTREAM_KEEPALIVE`, default 300 s).
   */
  upstreamKeepAlive?: number | string
  /**
   * Warm HTTP/1.1 connections held ready when the Frontend API does not offer HTTP/2
   * (`CLERK_PROXY_UPSTREAM_CONNECTIONS`, default 8).
   */
  upstreamConnections?: number | string
  /** Offer HTTP/2 to the Frontend API and multiplex on one connection (`CLERK_PROXY_UPSTREAM_HTTP2`, default on). */
  upstreamHttp2?: boolean | string
  /** Connect to the Frontend API at start, before the first request (`CLERK_PROXY_UPSTREAM_PRECONNECT`, default on). */
  upstreamPreconnect?: boolean | string
}

/** The configuration after validation: everything a request needs, computed once. */
export interface ProxyConfig {
  /** The instance secret key, sent upstream as `Clerk-Secret-Key`; never logged or echoed. */
  readonly secretKey: string
  /** `scheme://host[:port]` of the Frontend API. */
  readonly fapiOrigin: string
  /** The Frontend API's base path without a trailing slash (usually empty). */
  readonly fapiBasePath: string
  /** The public proxy URL without a trailing slash, or `undefined` to derive it per request. */
  readonly proxyUrl: string | undefined
  /** The path prefix without a trailing slash; empty when the proxy serves every path. */
  readonly proxyPath: string
  /** Which peers' `X-Forwarded-For` entries are believed (`TRUST_PROXY`). */
  readonly trustProxy: TrustProxy
  /** Milliseconds an upstream request may take before the proxy answers 504. */
  readonly timeoutMs: number
  /** Largest request body accepted, in bytes (`Infinity` when unlimited). */
  readonly maxBodyBytes: number
  /** How the Node server keeps its connections to the Frontend API. */
  readonly upstream: UpstreamSettings
}

// ---- Upstream connection pool settings (kept together: read by the Node server's pool) ----

/** How the proxy keeps its connections to the Frontend API (Node server). */
export interface UpstreamSettings {
  /** Milliseconds an idle upstream connection is kept (`CLERK_PROXY_UPSTREAM_KEEPALIVE`). */
  readonly keepAliveMs: number
  /** Warm HTTP/1.1 connections held ready when HTTP/2 is not offered (`CLERK_PROXY_UPSTREAM_CONNECTIONS`). */
  readonly connections: number
  /** Whether HTTP/2 is offered by ALPN (`CLERK_PROXY_UPSTREAM_HTTP2`). */
  readonly http2: boolean
  /** Whether connections are opened at start and reopened ahead of need (`CLERK_PROXY_UPSTREAM_PRECONNECT`). */
  readonly preconnect: boolean
}

/**
 * Default upstream settings. Cloudflare, in front of the Frontend API, closes idle connections
 * after 400 s without a `Keep-Alive` hint: 300 s keeps ours just inside that, so the proxy
 * (not the upstream, mid-request) decides when one closes; the pool opens the next one then.
 */
export const DEFAULT_UPSTREAM: UpstreamSettings = Object.freeze({ keepAliveMs: 300_000, connections: 8, http2: true, preconnect: true })

/** Default upstream timeout: 30 seconds. */
export const DEFAULT_TIMEOUT_MS = 30_000

/** Records a problem from inside a transform and returns zod's "no value" marker. */
function fail(ctx: z.core.ParsePayload, input: unknown, message: string): never {
  ctx.issues.push({ code: 'custom', message, input })
  return z.NEVER
}

const trimmedString = () => z.string().check(z.trim())

const httpUrl = (what: string) =>
  z.pipe(
    trimmedString(),
    z.transform((text: string, ctx) => {
      const parsed = parseHttpUrl(text, what)
      return parsed.ok ? { origin: parsed.origin, path: parsed.path } : fail(ctx, text, parsed.problem)
    }),
  )

const pathPrefix = z.pipe(
  trimmedString().check(
    z.refine((p) => p.startsWith('/'), 'must start with "/"'),
    z.refine((p) => !/[?#\\%\s]/.test(p) && !p.includes('//'), 'must be a plain path like /__clerk'),
    z.refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain . or .. segments'),
  ),
  z.transform((p: string) => p.replace(/\/+$/, '')),
)

const duration = z.pipe(
  z.union([z.number(), trimmedString()]),
  z.transform((value: number | string, ctx) => {
    const match = typeof value === 'number' ? [String(value), String(value), 'ms'] : /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(value)
    const n = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : NaN
    if (!Number.isFinite(n) || n <= 0 || n > 3_600_000) {
      return fail(ctx, value, 'must be a positive duration in milliseconds (e.g. 30000) or seconds (e.g. 30s), at most one hour')
    }
    return Math.round(n)
  }),
)

const byteSize = z.pipe(
  z.union([z.number(), z.string()]),
  z.transform((value: number | string, ctx) => {
    const bytes = parseByteSize(value)
    if (bytes === undefined) return fail(ctx, value, 'must be a size in bytes (10485760) or with a unit (512kb, 10mb); 0 for no limit')
    return bytes
  }),
)

const UPSTREAM_SETTINGS = {
  upstreamKeepAlive: ['CLERK_PROXY_UPSTREAM_KEEPALIVE'],
  upstreamConnections: ['CLERK_PROXY_UPSTREAM_CONNECTIONS'],
  upstreamHttp2: ['CLERK_PROXY_UPSTREAM_HTTP2'],
  upstreamPreconnect: ['CLERK_PROXY_UPSTREAM_PRECONNECT'],
} as const satisfies Record<string, readonly string[]>

const onOff = z.pipe(
  z.union([z.boolean(), trimmedString()]),
  z.transform((value: boolean | string, ctx) => {
    if (typeof value === 'boolean') return value
    const text = value.toLowerCase()
    if (['1', 'true', 'on', 'yes'].includes(text)) return true
    if (['0', 'false', 'off', 'no'].includes(text)) return false
    return fail(ctx, value, 'must be on or off (true/false, 1/0)')
  }),
)

const connectionCount = z.pipe(
  z.union([z.number(), trimmedString()]),
  z.transform((value: number | string, ctx) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1 || n > 256 || (typeof value === 'string' && !/^\d+$/.test(value))) {
      return fail(ctx, value, 'must be a whole number of connections from 1 to 256')
    }
    return n
  }),
)

const upstreamSchema = {
  upstreamKeepAlive: z.optional(duration),
  upstreamConnections: z.optional(connectionCount),
  upstreamHttp2: z.optional(onOff),
  upstreamPreconnect: z.optional(onOff),
}

/** Each setting: its option name and the environment variables that can carry it, in order. */
const SETTINGS = {
  secretKey: ['CLERK_SECRET_KEY'],
  publishableKey: ['CLERK_PUBLISHABLE_KEY'],
  fapiUrl: ['CLERK_FAPI_URL', 'CLERK_FAPI'],
  proxyUrl: ['CLERK_PROXY_URL'],
  proxyPath: ['CLERK_PROXY_PATH'],
  trustProxy: ['TRUST_PROXY'],
  timeout: ['CLERK_PROXY_TIMEOUT'],
  maxBodySize: ['CLERK_PROXY_MAX_BODY'],
  ...UPSTREAM_SETTINGS,
} as const satisfies Record<string, readonly string[]>

type SettingName = keyof typeof SETTINGS

const schema = z.object({
  // The message never echoes the value: it is a secret.
  secretKey: z.string({ error: 'is required (your instance secret key, sk_live_…)' }).check(
    z.trim(),
    z.minLength(1, 'is required (your instance secret key, sk_live_…)'),
    z.refine((k) => /^sk_(live|test)_[A-Za-z0-9_-]+$/.test(k), 'must be a Clerk secret key starting with sk_live_ or sk_test_'),
  ),
  publishableKey: z.optional(
    trimmedString().check(
      z.refine((k) => fapiUrlFromPublishableKey(k) !== undefined, 'must be a Clerk publishable key (pk_live_… or pk_test_…)'),
    ),
  ),
  fapiUrl: z.optional(httpUrl('https://frontend-api.clerk.dev')),
  proxyUrl: z.optional(httpUrl('https://app.example.com/__clerk')),
  proxyPath: z.optional(pathPrefix),
  trustProxy: z.optional(
    z.pipe(
      z.union([z.string(), z.number(), z.array(z.string()), z.literal(false)]),
      z.transform((value: string | number | string[] | false, ctx) => {
        try {
          return parseTrustProxy(value)
        } catch (error) {
          return fail(ctx, value, `is not accepted: ${(error as Error).message}`)
        }
      }),
    ),
  ),
  timeout: z.optional(duration),
  maxBodySize: z.optional(byteSize),
  ...upstreamSchema,
})

/**
 * Reads one variable from an env source; empty values count as unset.
 *
 * @example
 * readEnv(process.env, 'PORT')
 */
export function readEnv(env: EnvSource | undefined, name: string): string | undefined {
  if (!env) return undefined
  const value = typeof env === 'function' ? env(name) : env[name]
  return value === undefined || value === '' ? undefined : value
}

/**
 * Validates options and environment once and computes everything requests need.
 * Throws a {@link ConfigurationError} naming each bad variable (never printing the secret).
 *
 * @example
 * const config = resolveConfig({ env: process.env })
 */
export function resolveConfig(options: ProxyConfigOptions = {}): ProxyConfig {
  const raw: Partial<Record<SettingName, unknown>> = {}
  const origin: Partial<Record<SettingName, string>> = {}
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const fromOption = options[name]
    if (fromOption !== undefined) {
      raw[name] = fromOption
      origin[name] = `option ${name}`
      continue
    }
    for (const variable of SETTINGS[name]) {
      const value = readEnv(options.env, variable)
      if (value !== undefined) {
        raw[name] = value
        origin[name] = variable
        break
      }
    }
    origin[name] ??= SETTINGS[name][0]
  }

  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as SettingName
      return `${origin[key] ?? String(key)} ${issue.message}`
    })
    throw new ConfigurationError(problems)
  }
  const value = parsed.data
  const fapi = value.fapiUrl ?? splitUrl(value.publishableKey ? fapiUrlFromPublishableKey(value.publishableKey)! : DEFAULT_FAPI_URL)
  const proxyPath = value.proxyPath ?? value.proxyUrl?.path ?? '/__clerk'
  return Object.freeze({
    secretKey: value.secretKey,
    fapiOrigin: fapi.origin,
    fapiBasePath: fapi.path,
    proxyUrl: value.proxyUrl ? value.proxyUrl.origin + value.proxyUrl.path : undefined,
    proxyPath: proxyPath === '/' ? '' : proxyPath,
    trustProxy: value.trustProxy ?? TRUST_NONE,
    timeoutMs: value.timeout ?? DEFAULT_TIMEOUT_MS,
    maxBodyBytes: value.maxBodySize ?? DEFAULT_MAX_BODY_BYTES,
    upstream: Object.freeze({
      keepAliveMs: value.upstreamKeepAlive ?? DEFAULT_UPSTREAM.keepAliveMs,
      connections: value.upstreamConnections ?? DEFAULT_UPSTREAM.connections,
      http2: value.upstreamHttp2 ?? DEFAULT_UPSTREAM.http2,
      preconnect: value.upstreamPreconnect ?? DEFAULT_UPSTREAM.preconnect,
    }),
  })
}

function splitUrl(href: string): { origin: string; path: string } {
  const url = new URL(href)
  return { origin: url.origin, path: url.pathname.replace(/\/+$/, '') }
}

/**
 * A duration variable: milliseconds (`20000`) or seconds (`20s`); `undefined` when unset.
 * Throws a {@link ConfigurationError} naming the variable for anything else.
 *
 * @example
 * readDuration({ CLERK_PROXY_SHUTDOWN_TIMEOUT: '5s' }, 'CLERK_PROXY_SHUTDOWN_TIMEOUT') // 5000
 */
export function readDuration(env: EnvSource | undefined, name: string): number | undefined {
  const value = readEnv(env, name)
  if (value === undefined) return undefined
  const match = /^(\d+)\s*(ms|s)?$/.exec(value.trim())
  if (!match) throw new ConfigurationError([`${name} must be a duration in milliseconds (20000) or seconds (20s), got "${value}"`])
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1)
}

// ---------------------------------------------------------------------------------------------
// Operating a standalone server: the metrics listener and Node workers. Kept apart from the
// proxy settings above: only the standalone servers read these.

/** Options for {@link resolveOperationsConfig}; each mirrors an environment variable and wins over it. */
export interface OperationsOptions {
  /** Port of the metrics listener (`CLERK_PROXY_METRICS_PORT`); no listener when unset. */
  metricsPort?: number | string
  /** Address the metrics listener binds (`CLERK_PROXY_METRICS_HOST`, default `127.0.0.1`). */
  metricsHost?: string
  /** Node worker processes (`CLERK_PROXY_WORKERS`): a count, or `auto` for one per CPU (default 1). */
  workers?: number | string
  /** Where to read the environment from. */
  env?: EnvSource
}

/** Operating settings after validation. */
export interface OperationsConfig {
  /** Where the metrics listener binds; `undefined` when metrics are off. */
  readonly metrics: { readonly port: number; readonly host: string } | undefined
  /** How many Node worker processes serve requests (1: no cluster). */
  readonly workers: number
}

/** Default address of the metrics listener: traffic figures are not for the public. */
export const DEFAULT_METRICS_HOST = '127.0.0.1'

/**
 * Validates the operating settings. `cpuCount` is what `workers: 'auto'` means. Throws a
 * {@link ConfigurationError} naming each bad variable.
 *
 * @example
 * resolveOperationsConfig({ env: { CLERK_PROXY_METRICS_PORT: '9464', CLERK_PROXY_WORKERS: 'auto' } }, 2)
 * // { metrics: { port: 9464, host: '127.0.0.1' }, workers: 2 }
 */
export function resolveOperationsConfig(options: OperationsOptions, cpuCount: number): OperationsConfig {
  const problems: string[] = []
  const pick = (name: 'metricsPort' | 'metricsHost' | 'workers', variable: string): [string | undefined, string] => {
    const option = options[name]
    return option !== undefined ? [String(option).trim(), `option ${name}`] : [readEnv(options.env, variable)?.trim(), variable]
  }

  const [portText, portSource] = pick('metricsPort', 'CLERK_PROXY_METRICS_PORT')
  let port: number | undefined
  if (portText !== undefined) {
    port = Number(portText)
    if (!/^\d+$/.test(portText) || port > 65535) problems.push(`${portSource} must be a port number from 0 to 65535, got "${portText}"`)
  }
  const [hostText, hostSource] = pick('metricsHost', 'CLERK_PROXY_METRICS_HOST')
  if (hostText !== undefined && !/^[A-Za-z0-9.:[\]-]+$/.test(hostText)) problems.push(`${hostSource} must be an address like 127.0.0.1 or 0.0.0.0, got "${hostText}"`)

  const [workersText, workersSource] = pick('workers', 'CLERK_PROXY_WORKERS')
  let workers = 1
  if (workersText !== undefined) {
    workers = workersText.toLowerCase() === 'auto' ? Math.max(1, cpuCount) : Number(workersText)
    if (!/^(auto|\d+)$/i.test(workersText) || workers < 1 || workers > 256) problems.push(`${workersSource} must be a number of workers from 1 to 256, or auto, got "${workersText}"`)
  }
  if (problems.length > 0) throw new ConfigurationError(problems)
  return {
    metrics: port === undefined ? undefined : { port, host: hostText?.replace(/^\[|\]$/g, '') ?? DEFAULT_METRICS_HOST },
    workers,
  }
}
