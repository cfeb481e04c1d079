/**
 * The app every standalone server (Node, Bun, Deno) runs: `GET /healthz` and `GET /readyz`
 * outside the prefix, the proxy, and a plain 404 for every other path.
 */
import { Hono, type MiddlewareHandler } from 'hono'
import type { ProxyConfig } from '../config/proxy.ts'
import { readinessResponse, type Readiness } from '../readiness.ts'

/**
 * Builds the server app around the proxy handler, with `before` (an access log) in front and
 * `/readyz` answering from `readiness`.
 *
 * @example
 * const app = serverApp(clerkProxyHandler(options, config), config, accessLog(logger, bodyError), readiness)
 * Bun.serve({ fetch: (request, server) => app.fetch(request, { server }) })
 */
export function serverApp(proxy: MiddlewareHandler, config: ProxyConfig, before?: MiddlewareHandler, readiness?: Readiness): Hono {
  const app = new Hono()
  if (before) app.use(before)
  if (config.proxyPath !== '') {
    app.get('/healthz', (c) => c.json({ status: 'ok' }))
    if (readiness) app.get('/readyz', async () => readinessResponse(await readiness.check()))
  }
  // The handler itself, not a mounted sub-app: one dispatch less per request.
  app.use(proxy)
  app.notFound((c) => c.text('Not Found', 404))
  return app
}
