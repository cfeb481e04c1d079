import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClerkProxyOptions } from '../app.ts'
import { readEnv } from '../config/env.ts'
import { resolveConfig } from '../config/proxy.ts'
import { resolveUpstreamConfig, type UpstreamOptions } from '../config/upstream.ts'
import { bodyAlreadyReadResponse, ConfigurationError } from '../errors.ts'
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
  const env = options.env ?? process.env
  const config = resolveConfig({ ...options, env })
  if (config.proxyPath === '') {
    // Inside an app, "/" would send every route to Clerk (a bug Clerk fixed in its Express helper).
    const source = options.proxyPath !== undefined ? 'option proxyPath' : readEnv(env, 'CLERK_PROXY_PATH') !== undefined ? 'CLERK_PROXY_PATH' : 'the path of CLERK_PROXY_URL'
    throw new ConfigurationError([`${source} must be a prefix such as /__clerk when the proxy runs inside an app: "/" would send every route of the app to Clerk`])
  }
  const proxy = nodeProxy({ ...options, env }, config, { upstream: resolveUpstreamConfig({ ...options, env }) })
  const listener = getRequestListener(new Hono().use(proxy.handler).fetch)

  const middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    // Express strips a mount path from `req.url`; the prefix is matched on the full target.
    const target = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'
    const queryAt = target.indexOf('?')
    if (pathAfterPrefix(queryAt < 0 ? target : target.slice(0, queryAt), config.proxyPath) === undefined) return next()
    if (bodyAlreadyRead(req)) return void sendError(res)
    req.url = target
    listener(req, res).catch(next)
  }
  return Object.assign(middleware, { close: proxy.close })
}

/** True when a body parser mounted earlier has already consumed a request body. */
function bodyAlreadyRead(req: IncomingMessage): boolean {
  const method = req.method ?? 'GET'
  if (method === 'GET' || method === 'HEAD') return false
  const announced = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
  return announced && req.readableEnded
}

function sendError(res: ServerResponse): void {
  const response = bodyAlreadyReadResponse()
  void response.text().then((body) => {
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(body)
  })
}
