/**
 * The proxy inside a Koa app: a middleware that streams `<prefix>/*` to Clerk on the raw Node
 * request and response (Koa's own response handling is bypassed) and calls `next()` otherwise.
 *
 * @example
 * import Koa from 'koa'
 * import { clerkProxyMiddleware } from '@fapi-proxy/clerk/koa'
 *
 * const app = new Koa()
 * app.use(clerkProxyMiddleware()) // first: before body parsers and auth middleware
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClerkProxyOptions } from '../src/app.ts'
import { nodeAppProxy } from '../src/node/middleware.ts'

export type { ClerkProxyOptions } from '../src/app.ts'

/** The part of a Koa context the middleware uses (written out: `koa` is an optional peer). */
export interface KoaContext {
  /** The raw Node request. */
  req: IncomingMessage
  /** The raw Node response. */
  res: ServerResponse
  /** Set to `false` when the proxy wrote the response itself. */
  respond?: boolean
}

/** A Koa middleware that also closes the proxy's upstream pool. */
export type KoaProxyMiddleware = ((ctx: KoaContext, next: () => Promise<unknown>) => Promise<void>) & {
  /** Closes the upstream connection pool (for graceful shutdown and tests). */
  close(): Promise<void>
}

/**
 * Creates the middleware. Options mirror the environment variables (`CLERK_SECRET_KEY`, …),
 * read from `process.env` by default; a bad value throws here, naming the variable.
 * `TRUST_PROXY` (not Koa's `app.proxy`) decides which `X-Forwarded-For` entries to believe.
 *
 * @example
 * app.use(clerkProxyMiddleware({ proxyUrl: 'https://app.example.com/__clerk', trustProxy: 1 }))
 */
export function clerkProxyMiddleware(options: ClerkProxyOptions = {}): KoaProxyMiddleware {
  const proxy = nodeAppProxy(options)
  const middleware = async (ctx: KoaContext, next: () => Promise<unknown>): Promise<void> => {
    if (!proxy.handles(ctx.req)) return void (await next())
    ctx.respond = false // Koa must not write a response of its own after the proxy's
    await proxy.handle(ctx.req, ctx.res)
  }
  return Object.assign(middleware, { close: () => proxy.close() })
}
