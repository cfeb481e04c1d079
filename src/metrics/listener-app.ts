import { Hono } from 'hono'
import { readinessResponse, type Readiness } from '../readiness.ts'
import { EXPOSITION_CONTENT_TYPE } from './registry.ts'

/**
 * The app of the metrics listener (`CLERK_PROXY_METRICS_PORT`): `GET /metrics` in Prometheus'
 * text format, plus `/healthz` and `/readyz`, which stay reachable here while the main
 * listener drains after SIGTERM. `exposition` returns the text to serve (in a Node cluster, the
 * sum of every worker's figures).
 *
 * @example
 * const app = metricsListenerApp(() => renderExposition(metrics.registry.snapshot()), readiness)
 * Bun.serve({ port: 9464, hostname: '127.0.0.1', fetch: app.fetch })
 */
export function metricsListenerApp(exposition: () => string | Promise<string>, readiness?: Readiness): Hono {
  const app = new Hono()
  app.get('/metrics', async () => new Response(await exposition(), { headers: { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' } }))
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  if (readiness) app.get('/readyz', async () => readinessResponse(await readiness.check()))
  app.notFound((c) => c.text('Not Found', 404))
  return app
}
