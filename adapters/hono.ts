/**
 * The proxy inside an existing Hono app, on any runtime: a middleware that answers
 * `<prefix>/*` and calls `next()` for every other path. Register it before any auth
 * middleware, so Clerk's own requests never meet it.
 *
 * @example
 * import { Hono } from 'hono'
 * import { getConnInfo } from '@hono/node-server/conninfo' // or 'hono/bun', 'hono/deno', …
 * import { clerkProxyMiddleware } from '@fapi-proxy/clerk/hono'
 *
 * const app = new Hono()
 * app.use(clerkProxyMiddleware({ getConnInfo }))
 * app.use('*', clerkMiddleware()) // after the proxy
 *
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { ConnInfo } from 'hono/conninfo'
import { clerkProxyHandler, type ClerkProxyOptions } from '../src/app.ts'
import type { EnvSource } from '../src/config/env.ts'

/** Options for {@link clerkProxyMiddleware}: the proxy's options plus the platform's `getConnInfo`. */
export interface HonoProxyOptions extends ClerkProxyOptions {
  /**
   * Your platform's `getConnInfo` (from `@hono/node-server/conninfo`, `hono/bun`, `hono/deno`,
   * `hono/cloudflare-workers`, …): its `remote.address` is the peer `TRUST_PROXY` applies to.
   * Without it (and without `peerAddress`), Clerk gets no `X-Forwarded-For`.
   */
  getConnInfo?: (c: Context) => ConnInfo
}

/**
 * Creates the middleware. The environment is `options.env`, else `contextEnv(c)` (pass
 * `(c) => c.env` on Cloudflare Workers), else `process.env` where the runtime has one.
 *
 * @example
 * app.use(clerkProxyMiddleware({ getConnInfo, proxyUrl: 'https://app.example.com/__clerk' }))
 */
export function clerkProxyMiddleware(options: HonoProxyOptions = {}): MiddlewareHandler {
  const { getConnInfo, ...rest } = options
  const peerAddress = rest.peerAddress ?? (getConnInfo ? (c: Context) => getConnInfo(c).remote.address : undefined)
  const env = rest.env ?? (rest.contextEnv ? undefined : processEnv())
  return clerkProxyHandler({ ...rest, env, peerAddress })
}

function processEnv(): EnvSource | undefined {
  const process = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
  return process?.env
}
