// zod/mini: the same validation as classic zod at a fraction of the bundle size (tree-shakable;
// classic zod alone made an edge bundle ~90 KB gzipped, zod/mini ~6 KB).
import * as z from 'zod/mini'
import { parseTrustProxy, TRUST_NONE, type TrustProxy } from '../client-ip.ts'
import { ConfigurationError } from '../errors.ts'
import { DEFAULT_FAPI_URL, fapiUrlFromPublishableKey } from '../fapi-url.ts'
import { parseHttpUrl } from '../public-url.ts'
import { DEFAULT_MAX_BODY_BYTES, parseByteSize } from '../request-limits.ts'
import { readEnv, type EnvSource } from './env.ts'
import { fail, readSettings, trimmedString } from './settings.ts'

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
  /**
   * The request body size above which the framework in front cuts bodies short without saying
   * so (`CLERK_PROXY_NEXT_MAX_BODY`): Next.js's `experimental.proxyClientMaxBodySize`. The
   * Next.js helpers default to Next.js's own value; elsewhere there is none. Bodies that may
   * have been cut get `413` instead of reaching Clerk incomplete.
   */
  nextMaxBodySize?: number | string
  /** Where to read the environment from; defaults to nothing (options only). */
  env?: EnvSource
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
  /** Where Next.js cuts request bodies short, in bytes (`Infinity` when not behind Next.js). */
  readonly nextMaxBodyBytes: number
}

/** Default upstream timeout: 30 seconds. */
export const DEFAULT_TIMEOUT_MS = 30_000

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
  nextMaxBodySize: ['CLERK_PROXY_NEXT_MAX_BODY'],
} as const satisfies Record<string, readonly string[]>


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
  nextMaxBodySize: z.optional(byteSize),
})

/**
 * Validates options and environment once and computes everything requests need.
 * Throws a {@link ConfigurationError} naming each bad variable (never printing the secret).
 *
 * @example
 * const config = resolveConfig({ env: process.env })
 */
export function resolveConfig(options: ProxyConfigOptions = {}): ProxyConfig {
  return readProxySettings(options)!
}

/**
 * Refuses `/` as the prefix of a proxy running inside an app, where it would send every route of
 * the app to Clerk (a bug Clerk fixed in its Express helper): throws a {@link ConfigurationError}
 * naming where the `/` came from.
 *
 * @example
 * const config = resolveConfig({ ...options, env })
 * assertInAppPrefix(config, { ...options, env })
 */
export function assertInAppPrefix(config: ProxyConfig, options: ProxyConfigOptions): void {
  if (config.proxyPath !== '') return
  const source = options.proxyPath !== undefined ? 'option proxyPath' : readEnv(options.env, 'CLERK_PROXY_PATH') !== undefined ? 'CLERK_PROXY_PATH' : 'the path of CLERK_PROXY_URL'
  throw new ConfigurationError([`${source} must be a prefix such as /__clerk when the proxy runs inside an app: "/" would send every route of the app to Clerk`])
}

/**
 * The proxy settings of `options` and `options.env`, as {@link resolveConfig} reads them; given
 * `problems`, a problem is added there instead of thrown (and `undefined` returned), for callers
 * that gather the problems of more settings (the standalone servers) before reporting them.
 *
 * @example
 * const problems: string[] = []
 * const config = readProxySettings({ env: process.env }, problems)
 */
export function readProxySettings(options: ProxyConfigOptions, problems?: string[]): ProxyConfig | undefined {
  const value = readSettings(SETTINGS, schema, options as Readonly<Record<string, unknown>>, options.env, problems)
  if (!value) return undefined
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
    nextMaxBodyBytes: value.nextMaxBodySize ?? Infinity,
  })
}

function splitUrl(href: string): { origin: string; path: string } {
  const url = new URL(href)
  return { origin: url.origin, path: url.pathname.replace(/\/+$/, '') }
}
