/**
 * The proxy inside an Express (or Connect, or plain `node:http`) app: a `(req, res, next)`
 * middleware that streams `<prefix>/*` to Clerk and calls `next()` for everything else.
 *
 * @example
 * import express from 'express'
 * import { clerkProxyMiddleware } from '@fapi-proxy/clerk/express'
 *
 * const app = express()
 * app.use(clerkProxyMiddleware()) // first: before body parsers and clerkMiddleware()
 *
 * @module
 */
import type { ClerkProxyOptions } from '../src/app.ts'
import type { UpstreamOptions } from '../src/config/upstream.ts'
import { nodeProxyMiddleware, type NodeMiddleware } from '../src/node/middleware.ts'

export type { NodeMiddleware } from '../src/node/middleware.ts'
export type { ClerkProxyOptions } from '../src/app.ts'
export type { UpstreamOptions } from '../src/config/upstream.ts'

/**
 * Creates the middleware. Options mirror the environment variables (`CLERK_SECRET_KEY`, …),
 * read from `process.env` by default; `TRUST_PROXY` decides which `X-Forwarded-For` entries to
 * believe, independently of Express's own `trust proxy` setting.
 *
 * @example
 * app.use(clerkProxyMiddleware({ proxyUrl: 'https://app.example.com/__clerk', trustProxy: 1 }))
 */
export function clerkProxyMiddleware(options: ClerkProxyOptions & UpstreamOptions = {}): NodeMiddleware {
  return nodeProxyMiddleware(options)
}
