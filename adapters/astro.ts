/**
 * The proxy inside an Astro app (server output, any adapter): a middleware that answers
 * `<prefix>/*` before the rest of the chain (put it first in `sequence()`, before
 * `@clerk/astro`'s `clerkMiddleware()`), or an endpoint for `src/pages/__clerk/[...path].ts`.
 *
 * @example
 * // src/middleware.ts
 * import { clerkMiddleware } from '@clerk/astro/server'
 * import { sequence } from 'astro:middleware'
 * import { clerkProxyMiddleware } from '@fapi-proxy/clerk/astro'
 *
 * export const onRequest = sequence(clerkProxyMiddleware(), clerkMiddleware())
 *
 * @module
 */
import { requestProxy, skipProxyPrefix, type RequestProxyOptions } from '../src/request-proxy.ts'

export type { RequestProxyOptions } from '../src/request-proxy.ts'

/** The part of Astro's `APIContext` the proxy uses (written out: `astro` is an optional peer). */
export interface AstroContext {
  /** The incoming request. */
  readonly request: Request
}

/** An Astro middleware (`onRequest`). */
export type AstroMiddleware = (context: AstroContext, next: () => Promise<Response>) => Promise<Response>

/** An Astro endpoint handler (`ALL`, `GET`, …). */
export type AstroEndpoint = (context: AstroContext) => Promise<Response>

/**
 * Creates the middleware. Options mirror the environment variables (`CLERK_SECRET_KEY`,
 * `CLERK_PROXY_URL`, …), read from `process.env` when the first request arrives. The end-user
 * IP is the `X-Forwarded-For` chain counted from the right with `TRUST_PROXY`, never Astro's
 * `clientAddress` (on the Node adapter, the leftmost `X-Forwarded-For` entry: client-written).
 *
 * @example
 * export const onRequest = sequence(clerkProxyMiddleware({ trustProxy: 1 }), clerkMiddleware())
 */
export function clerkProxyMiddleware(options: RequestProxyOptions = {}): AstroMiddleware {
  const proxy = requestProxy(options)
  return async (context, next) => (proxy.handles(context.request) && (await proxy(context.request))) || next()
}

/**
 * Creates an endpoint for `src/pages/__clerk/[...path].ts` (export it as `ALL`), for apps that
 * prefer a route to a middleware. Keep `clerkMiddleware()` off the prefix with
 * {@link withClerkProxy}.
 *
 * @example
 * // src/pages/__clerk/[...path].ts
 * export const prerender = false
 * export const ALL = clerkProxyEndpoint()
 */
export function clerkProxyEndpoint(options: RequestProxyOptions = {}): AstroEndpoint {
  const proxy = requestProxy(options)
  return async (context) =>
    (await proxy(context.request)) ?? new Response('Not Found: this route is outside the Clerk proxy prefix (CLERK_PROXY_PATH)', { status: 404 })
}

/**
 * Wraps a middleware (usually `clerkMiddleware()`) so it never runs for the proxy prefix,
 * leaving those requests to the endpoint.
 *
 * @example
 * export const onRequest = withClerkProxy(clerkMiddleware())
 */
export function withClerkProxy<Context extends AstroContext, Next extends () => unknown, Result>(
  middleware: (context: Context, next: Next) => Result,
  options: RequestProxyOptions = {},
): (context: Context, next: Next) => Result | ReturnType<Next> {
  return skipProxyPrefix(middleware, options)
}
