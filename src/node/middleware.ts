import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClerkProxyOptions } from '../app.ts'
import { assertInAppPrefix, resolveConfig } from '../config/proxy.ts'
import { resolveUpstreamConfig, type UpstreamOptions } from '../config/upstream.ts'
import { bodyAlreadyReadResponse } from '../errors.ts'
import { pathAfterPrefix } from '../upstream-url.ts'
import { nodeProxy } from './proxy.ts'

/** A Connect/Express-style middleware; `next()` is called for every path outside the prefix. */
export type NodeMiddleware = ((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void) & {
  /** Closes the upstream connection pool (for graceful shutdown and tests). */
  close(): Promise<void>
}

/**
 * The proxy as a `(req, res, next)` middleware for Express, Connect, Fastify's middie and plain
 * `node:http`: requests under the prefix stream to Clerk through the same undici pool as the
 * standalone server (every `Set-Cookie` kept, compressed assets left compressed); every other
 * request goes to `next()`. Mount it before body parsers (they would consume the body) and
 * before any auth middleware. The configuration is validated here: a missing or bad value
 * throws a `ConfigurationError` naming it, at startup rather than on the first sign-in.
 *
 * @example
 * import express from 'express'
 * import { clerkProxyMiddleware } from '@fapi-proxy/clerk/express'
 * const app = express()
 * app.use(clerkProxyMiddleware()) // reads CLERK_SECRET_KEY etc. from process.env
 */
export function nodeProxyMiddleware(options: ClerkProxyOptions & UpstreamOptions = {}): NodeMiddleware {
  const proxy = nodeAppProxy(options)
  const middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    if (!proxy.handles(req)) return next()
    proxy.handle(req, res).catch(next)
  }
  return Object.assign(middleware, { close: () => proxy.close() })
}

/** The in-app proxy split into its two decisions, for frameworks whose hooks want them apart (Fastify, Koa, Nuxt). */
export interface NodeAppProxy {
  /** True when the request target is under the prefix, so the proxy answers it. */
  handles(req: IncomingMessage): boolean
  /** Answers a request {@link NodeAppProxy.handles} accepted, streaming both ways. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>
  /** Closes the upstream connection pool. */
  close(): Promise<void>
}

/**
 * The proxy behind {@link nodeProxyMiddleware}: a prefix matcher and a raw
 * `IncomingMessage`/`ServerResponse` handler sharing one validated configuration and one pool.
 * `/` as the prefix is refused (it would send every route of the app to Clerk).
 *
 * @example
 * const proxy = nodeAppProxy({ env: process.env })
 * if (proxy.handles(req)) await proxy.handle(req, res)
 */
export function nodeAppProxy(options: ClerkProxyOptions & UpstreamOptions = {}): NodeAppProxy {
  const env = options.env ?? process.env
  const config = resolveConfig({ ...options, env })
  assertInAppPrefix(config, { ...options, env })
  const proxy = nodeProxy({ ...options, env }, config, { upstream: resolveUpstreamConfig({ ...options, env }) })
  const listener = getRequestListener(new Hono().use(proxy.handler).fetch)
  // Express strips a mount path from `req.url`; the prefix is matched on the full target.
  const fullTarget = (req: IncomingMessage): string => (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'

  return {
    handles(req) {
      const target = fullTarget(req)
      const queryAt = target.indexOf('?')
      return pathAfterPrefix(queryAt < 0 ? target : target.slice(0, queryAt), config.proxyPath) !== undefined
    },
    async handle(req, res) {
      if (bodyAlreadyRead(req)) return sendError(res)
      req.url = fullTarget(req)
      await listener(req, res)
    },
    close: () => proxy.close(),
  }
}

/** True when a body parser mounted earlier has already consumed a request body. */
function bodyAlreadyRead(req: IncomingMessage): boolean {
  const method = req.method ?? 'GET'
  if (method === 'GET' || method === 'HEAD') return false
  const announced = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
  return announced && req.readableEnded
}

async function sendError(res: ServerResponse): Promise<void> {
  const response = bodyAlreadyReadResponse()
  const body = await response.text()
  res.writeHead(response.status, Object.fromEntries(response.headers))
  res.end(body)
}
