/**
 * What every standalone server (Node, Bun, Deno) records besides its log: readiness for
 * `/readyz` and, with `CLERK_PROXY_METRICS_PORT`, the Prometheus metrics.
 */
import type { ServerConfig } from '../config/server.ts'
import { createProxyMetrics, type ProcessFigures, type ProxyMetrics } from '../metrics/proxy-metrics.ts'
import { renderExposition } from '../metrics/registry.ts'
import { createReadiness, fapiReachabilityProbe, type Readiness, type UpstreamConnectivity } from '../readiness.ts'

/** A server's readiness and metrics. */
export interface StandaloneOperations {
  /** The metrics to record each request in; `undefined` when metrics are off. */
  readonly metrics: ProxyMetrics | undefined
  /** What `/readyz` answers; told whenever Clerk answers a proxied request. */
  readonly readiness: Readiness
  /** The current metrics in Prometheus' text format (empty when off). */
  exposition(): string
}

/** Where a server's readiness and metrics read from. */
export interface OperationsSources {
  /** The fetch the readiness probe reaches Clerk with. */
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>
  /** The runtime's process figures (memory, CPU), where it has them. */
  readonly processFigures?: () => ProcessFigures
  /** Whether the upstream pool holds a connection to Clerk, where it can say. */
  readonly connectivity?: UpstreamConnectivity
}

/**
 * The start-up probe: when pre-connecting is on, one `HEAD /v1/environment` without the secret
 * key, cookies or any client's headers (the readiness probe) goes to Clerk as the server
 * starts, through the same transport as the proxied requests. It opens (Deno) or first uses
 * (Node's pool) the upstream connection and runs the request path once, so the first visitor
 * does not pay for either; an answer makes the server ready. It never delays listening; a
 * failure goes to `unreachable` (not when the server is already stopping) and the server keeps
 * serving.
 *
 * @example
 * probeAtStart(config, operations.readiness, (error) => logger.error('…', { error: describeTransportError(error) }))
 */
export function probeAtStart(config: ServerConfig, readiness: Readiness, unreachable: (error: unknown) => void): void {
  if (!config.upstream.preconnect) return
  readiness.probe(config.proxy.timeoutMs).catch((error: unknown) => {
    const state = readiness.current()
    if (state.ready || state.reason !== 'draining') unreachable(error)
  })
}

/**
 * Readiness, and metrics when `config.metrics` is set, for one server.
 *
 * @example
 * const operations = standaloneOperations(config, { fetch: (url, init) => fetch(url, init) })
 * app.get('/readyz', async () => readinessResponse(await operations.readiness.check()))
 */
export function standaloneOperations(config: ServerConfig, sources: OperationsSources): StandaloneOperations {
  const readiness = createReadiness({ probe: fapiReachabilityProbe(config.proxy, sources.fetch), connectivity: sources.connectivity })
  const metrics = config.metrics
    ? createProxyMetrics(config.proxy.proxyPath, { processFigures: sources.processFigures, ready: () => readiness.current().ready })
    : undefined
  return { metrics, readiness, exposition: () => (metrics ? renderExposition(metrics.registry.snapshot()) : '') }
}
