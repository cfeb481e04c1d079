import { getRequestListener } from '@hono/node-server'
import { createServer } from 'node:http'
import { metricsListenerApp } from '../metrics/listener-app.ts'
import { processFiguresOf, type ProcessFigures } from '../metrics/proxy-metrics.ts'
import type { Readiness } from '../readiness.ts'
import { serverUrl } from '../standalone/start.ts'
import { listenOn } from './listen.ts'

/** A running metrics listener. */
export interface MetricsListener {
  /** `http://host:port` it listens on. */
  readonly url: string
  /** Stops it (open scrapes are cut). */
  close(): Promise<void>
}

/**
 * Starts the metrics listener on `node:http` (see `metricsListenerApp`).
 *
 * @example
 * const listener = await startMetricsListener({ port: 9464, host: '127.0.0.1' }, () => text, readiness)
 */
export async function startMetricsListener(
  address: { readonly port: number; readonly host: string },
  exposition: () => string | Promise<string>,
  readiness?: Readiness,
): Promise<MetricsListener> {
  const server = createServer({ keepAliveTimeout: 5_000 }, getRequestListener(metricsListenerApp(exposition, readiness).fetch))
  const bound = await listenOn(server, address.port, address.host)
  return {
    url: serverUrl(bound.address, bound.port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/**
 * Process figures on Node (and Bun): resident memory, heap in use, CPU time.
 *
 * @example
 * createProxyMetrics('/__clerk', { processFigures: nodeProcessFigures })
 */
export function nodeProcessFigures(): ProcessFigures {
  return processFiguresOf(process)
}
