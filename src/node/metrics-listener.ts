import { getRequestListener } from '@hono/node-server'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { metricsListenerApp } from '../metrics/listener-app.ts'
import type { ProcessFigures } from '../metrics/proxy-metrics.ts'
import type { Readiness } from '../readiness.ts'

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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.port, address.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = server.address() as AddressInfo
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address
  return {
    url: `http://${host}:${bound.port}`,
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
  const cpu = process.cpuUsage()
  return { residentMemoryBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
}
