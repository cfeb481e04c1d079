/**
 * How the proxy keeps its connections to the Frontend API: pre-connecting, HTTP/2, warm
 * HTTP/1.1 connections, keep-alive (docs/network.md, "Settings"). Read with the other server
 * settings into the one `ServerConfig` (see server.ts); the Node middleware and Bun read them
 * with {@link resolveUpstreamConfig}.
 */
import * as z from 'zod/mini'
import type { EnvSource } from './env.ts'
import { fail, readSettings, trimmedString } from './settings.ts'

/** The upstream settings a program can pass; each wins over its variable. */
export interface UpstreamOptions {
  /** How long an idle upstream connection is kept, in ms or as `"300s"` (`CLERK_PROXY_UPSTREAM_KEEPALIVE`, default 300 s; Node, and the Deno server's HTTP client). */
  upstreamKeepAlive?: number | string
  /** Warm HTTP/1.1 connections held when HTTP/2 is not offered (`CLERK_PROXY_UPSTREAM_CONNECTIONS`, default 8; on Bun, opened at start). */
  upstreamConnections?: number | string
  /** Offer HTTP/2 to the Frontend API and multiplex on one connection (`CLERK_PROXY_UPSTREAM_HTTP2`, default on). */
  upstreamHttp2?: boolean | string
  /** Connect to the Frontend API at start, before the first request, and send it the start-up probe (`CLERK_PROXY_UPSTREAM_PRECONNECT`, default on). */
  upstreamPreconnect?: boolean | string
  /** Where to read the environment from. */
  env?: EnvSource
}

/** Upstream settings after validation. */
export interface UpstreamConfig {
  /** Milliseconds an idle upstream connection is kept. */
  readonly keepAliveMs: number
  /** Warm HTTP/1.1 connections held ready when HTTP/2 is not offered. */
  readonly connections: number
  /** Whether HTTP/2 is offered by ALPN. */
  readonly http2: boolean
  /** Whether connections are opened at start and reopened ahead of need. */
  readonly preconnect: boolean
}

/**
 * The defaults, chosen from the measurements in docs/network.md. Cloudflare, in front of the
 * Frontend API, closes idle connections after 400 s without a `Keep-Alive` hint: 300 s keeps
 * ours just inside that, so the proxy (not the upstream, mid-request) decides when one closes,
 * and the pool opens the next one then.
 */
export const DEFAULT_UPSTREAM: UpstreamConfig = Object.freeze({ keepAliveMs: 300_000, connections: 8, http2: true, preconnect: true })

const UPSTREAM_SETTINGS = {
  upstreamKeepAlive: ['CLERK_PROXY_UPSTREAM_KEEPALIVE'],
  upstreamConnections: ['CLERK_PROXY_UPSTREAM_CONNECTIONS'],
  upstreamHttp2: ['CLERK_PROXY_UPSTREAM_HTTP2'],
  upstreamPreconnect: ['CLERK_PROXY_UPSTREAM_PRECONNECT'],
} as const

const onOff = z.pipe(
  z.union([z.boolean(), trimmedString()]),
  z.transform((value: boolean | string, ctx) => {
    if (typeof value === 'boolean') return value
    const text = value.toLowerCase()
    if (['1', 'true', 'on', 'yes'].includes(text)) return true
    if (['0', 'false', 'off', 'no'].includes(text)) return false
    return fail(ctx, value, `must be on or off (true/false, 1/0), got "${value}"`)
  }),
)

const schema = z.object({
  upstreamKeepAlive: z.optional(
    z.pipe(
      z.union([z.number(), trimmedString()]),
      z.transform((value: number | string, ctx) => {
        const match = typeof value === 'number' ? [String(value), String(value), 'ms'] : /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(value)
        const ms = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : NaN
        if (!Number.isFinite(ms) || ms <= 0 || ms > 3_600_000) {
          return fail(ctx, value, `must be a positive duration in milliseconds (300000) or seconds (300s), at most one hour, got "${value}"`)
        }
        return Math.round(ms)
      }),
    ),
  ),
  upstreamConnections: z.optional(
    z.pipe(
      z.union([z.number(), trimmedString()]),
      z.transform((value: number | string, ctx) => {
        const text = String(value)
        if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 256) return fail(ctx, value, `must be a whole number of connections from 1 to 256, got "${text}"`)
        return Number(text)
      }),
    ),
  ),
  upstreamHttp2: z.optional(onOff),
  upstreamPreconnect: z.optional(onOff),
})

/**
 * Reads and validates the upstream settings of `options` and `options.env`. On a problem it
 * throws a `ConfigurationError` naming each bad variable or option, or, given `problems`, adds
 * them there and returns `undefined`.
 *
 * @example
 * readUpstreamSettings({ env: { CLERK_PROXY_UPSTREAM_HTTP2: 'off' } }) // { …, http2: false }
 */
export function readUpstreamSettings(options: UpstreamOptions, problems?: string[]): UpstreamConfig | undefined {
  const value = readSettings(UPSTREAM_SETTINGS, schema, { ...options }, options.env, problems)
  if (!value) return undefined
  return Object.freeze({
    keepAliveMs: value.upstreamKeepAlive ?? DEFAULT_UPSTREAM.keepAliveMs,
    connections: value.upstreamConnections ?? DEFAULT_UPSTREAM.connections,
    http2: value.upstreamHttp2 ?? DEFAULT_UPSTREAM.http2,
    preconnect: value.upstreamPreconnect ?? DEFAULT_UPSTREAM.preconnect,
  })
}

/**
 * Validates the upstream settings alone. Throws a `ConfigurationError` naming each bad
 * variable or option.
 *
 * @example
 * resolveUpstreamConfig({ env: process.env }).preconnect // true unless CLERK_PROXY_UPSTREAM_PRECONNECT=off
 */
export function resolveUpstreamConfig(options: UpstreamOptions): UpstreamConfig {
  return readUpstreamSettings(options)!
}
