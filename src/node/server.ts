import { getRequestListener, RequestError, type Http2Bindings, type HttpBindings } from '@hono/node-server'
import cluster from 'node:cluster'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { ProxyConfig } from '../config/proxy.ts'
import { resolveServerConfig, type ServerConfigOptions } from '../config/server.ts'
import { proxyErrorCodeOf, proxyErrorResponse, type ProxyErrorCode } from '../errors.ts'
import { createLogger, loggablePath, type Logger } from '../log.ts'
import type { ProxyMetrics } from '../metrics/proxy-metrics.ts'
import type { Readiness } from '../readiness.ts'
import { REQUEST_ID_HEADER, requestIdFor } from '../request-id.ts'
import { serverApp } from '../standalone/app.ts'
import { probeAtStart, standaloneOperations } from '../standalone/operations.ts'
import type { StandaloneServeOptions } from '../standalone/serve.ts'
import { stopOnSignals } from '../standalone/signals.ts'
import { serverUrl } from '../standalone/start.ts'
import { refuseUnservableRequests } from './client-errors.ts'
import { readNodeHeader, REQUEST_ID, UPSTREAM_TIMING, type TimedResponse } from './forward.ts'
import { listenOn } from './listen.ts'
import { nodeProcessFigures, startMetricsListener, type MetricsListener } from './metrics-listener.ts'
import { nodeProxy } from './proxy.ts'

/** Options for the standalone Node server: those of every standalone server plus Node's own limits. */
export interface ServeOptions extends StandaloneServeOptions, Pick<ServerConfigOptions, 'headersTimeoutMs' | 'requestTimeoutMs'> {
  /** Largest request line plus headers, in bytes (default 16 KiB, Node's); larger get `414`/`431`. */
  maxHeaderSize?: number
}

/** A running proxy server. */
export interface RunningServer {
  /** The underlying `node:http` server. */
  readonly server: Server
  /** `http://host:port` the server listens on. */
  readonly url: string
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number
  /** The validated configuration the server runs with. */
  readonly config: ProxyConfig
  /** The logger the server writes its access lines and notices to. */
  readonly logger: Logger
  /** `http://host:port` of the metrics listener; `undefined` when off (or in a cluster worker). */
  readonly metricsUrl: string | undefined
  /** What `/readyz` answers. */
  readonly readiness: Readiness
  /** Stops accepting, lets in-flight requests finish up to the bound, then closes the rest. */
  shutdown(timeoutMs?: number): Promise<void>
}

/**
 * Starts the proxy on Node with `@hono/node-server`. The configuration is validated first: a
 * missing or bad value rejects with a `ConfigurationError` naming it. `GET /healthz` and
 * `GET /readyz` answer outside the prefix; other paths outside it answer 404. With
 * `metricsPort` the metrics listener starts too; in a `node:cluster` worker the figures are
 * recorded but the listener is left to the primary (as `clerk-proxy --workers` does).
 *
 * @example
 * import { serve } from '@fapi-proxy/clerk/node'
 * const running = await serve({ port: 3000 }) // reads CLERK_SECRET_KEY etc. from process.env
 */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env
  const config = resolveServerConfig({ ...options, env })
  const logger = typeof options.log === 'object' ? options.log : createLogger(config.log)
  let metrics: ProxyMetrics | undefined
  const connections = config.metrics && {
    opened: (version: string) => metrics?.upstreamConnectionOpened(version),
    closed: (version: string) => metrics?.upstreamConnectionClosed(version),
  }
  const proxy = nodeProxy({ ...options, env }, config.proxy, {
    upstream: config.upstream,
    connections,
    notices: { unreachable: (message, fields) => logger.error(message, fields), reachable: (message) => logger.info(message) },
  })
  // Probes go through the upstream pool: an answer proves the connection requests ride on works.
  const operations = standaloneOperations(config, { fetch: proxy.fetch, processFigures: nodeProcessFigures, connectivity: proxy })
  const readiness = operations.readiness
  metrics = operations.metrics
  const app = serverApp(proxy.handler, config.proxy, undefined, readiness)

  // Answers the app made itself (the relay has written Clerk's, with the id, already) get the
  // request id, and their error code is kept for the metrics. A wrapper, not a middleware:
  // Hono calls a lone matching handler directly, without composing a chain around it.
  const answered = (response: Response, outgoing: ObservedResponse): Response => {
    if (!outgoing.headersSent) outgoing.setHeader(REQUEST_ID_HEADER, outgoing[REQUEST_ID]!)
    const code = metrics && proxyErrorCodeOf(response)
    if (code) outgoing[ERROR_CODE] = code
    return response
  }
  const fetchAnswer = (request: Request, bindings: HttpBindings | Http2Bindings): Response | Promise<Response> => {
    const response = app.fetch(request, bindings)
    const outgoing = bindings.outgoing as ObservedResponse
    return response instanceof Promise ? response.then((r) => answered(r, outgoing)) : answered(response, outgoing)
  }
  const listener = getRequestListener(fetchAnswer, {
    // Requests @hono/node-server cannot turn into a URL (bad Host, backslash in the path).
    errorHandler: (error) => {
      const response =
        error instanceof RequestError
          ? proxyErrorResponse(400, 'proxy_bad_request', 'Malformed request', 'The request target or Host header cannot be parsed.')
          : proxyErrorResponse(500, 'proxy_request_failed', 'Internal proxy error')
      // Answered outside the app, so its middleware does not see the code.
      metrics?.proxyErrorAnswered(proxyErrorCodeOf(response)!)
      return response
    },
  })
  const maxHeaderSize = options.maxHeaderSize ?? 16 * 1024
  const { requestTimeoutMs, headersTimeoutMs } = config
  let inFlight = 0
  let drained: (() => void) | undefined
  const handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    inFlight++
    metrics?.requestStarted()
    const started = performance.now()
    const requestId = requestIdFor(readNodeHeader({ env: { incoming } }, REQUEST_ID_HEADER), incoming.socket.remoteAddress, config.proxy.trustProxy)
    ;(outgoing as ObservedResponse)[REQUEST_ID] = requestId
    outgoing.once('close', () => {
      observe(incoming, outgoing, started, requestId, logger, metrics, readiness)
      if (--inFlight === 0) drained?.()
    })
    void listener(incoming, outgoing)
  }
  const server = createServer(
    {
      maxHeaderSize,
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs > 0 ? Math.min(headersTimeoutMs, requestTimeoutMs) : headersTimeoutMs,
      // Node checks the two timeouts on this interval (30 s by default): check often enough
      // that a slow-loris client is cut off close to the configured time.
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, headersTimeoutMs / 4)),
      keepAliveTimeout: 5_000,
    },
    handle,
  )
  // Answer `Expect: 100-continue` only for bodies within the limit, so an oversized one is
  // refused with 413 before the client sends a byte of it.
  server.on('checkContinue', (incoming: IncomingMessage, outgoing: ServerResponse) => {
    if (!(Number(incoming.headers['content-length']) > config.proxy.maxBodyBytes)) outgoing.writeContinue()
    handle(incoming, outgoing)
  })
  refuseUnservableRequests(server, maxHeaderSize, (status, reason, code) => {
    logger.info('refused malformed request', { status, reason })
    metrics?.proxyErrorAnswered(code)
  })

  const address = await listenOn(server, config.port, config.hostname)
  // In a cluster the primary serves the metrics of every worker (see workers.ts).
  let metricsListener: MetricsListener | undefined
  if (config.metrics && !cluster.isWorker) {
    try {
      metricsListener = await startMetricsListener(config.metrics, operations.exposition, readiness)
    } catch (error) {
      server.close()
      await proxy.close()
      throw error
    }
  }

  // A start that cannot connect is logged once by the pool (notices above), which keeps trying.
  probeAtStart(config, readiness, () => {})

  let shuttingDown: Promise<void> | undefined
  const shutdown = (timeoutMs = config.shutdownTimeoutMs): Promise<void> =>
    (shuttingDown ??= new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer)
        server.closeAllConnections()
        void Promise.all([proxy.close(), metricsListener?.close()]).finally(() => resolve())
      }
      const timer = setTimeout(finish, timeoutMs)
      drained = finish
      readiness.startDraining()
      server.close()
      server.closeIdleConnections()
      if (inFlight === 0) finish()
    }))

  if (options.handleSignals ?? true) {
    const unsubscribe = stopOnSignals(
      {
        on: (listener) => {
          process.on('SIGTERM', listener)
          process.on('SIGINT', listener)
          return () => {
            process.off('SIGTERM', listener)
            process.off('SIGINT', listener)
          }
        },
        stop: () => shutdown(),
        exit: (code) => process.exit(code),
        inFlight: () => inFlight,
      },
      logger,
    )
    if (unsubscribe) server.once('close', unsubscribe)
  }
  const running: RunningServer = {
    server,
    url: serverUrl(address.address, address.port),
    port: address.port,
    config: config.proxy,
    logger,
    metricsUrl: metricsListener?.url,
    readiness,
    shutdown,
  }
  if (metrics) recordedMetrics.set(running, metrics)
  return running
}

const recordedMetrics = new WeakMap<RunningServer, ProxyMetrics>()

/**
 * The metrics a running server records (`undefined` when metrics are off): what a cluster
 * worker sends its primary.
 *
 * @example
 * metricsOf(running)?.registry.snapshot()
 */
export function metricsOf(running: RunningServer): ProxyMetrics | undefined {
  return recordedMetrics.get(running)
}

/** Where the app leaves the proxy's own error code on the response, for the errors metric. */
const ERROR_CODE: unique symbol = Symbol('clerk-proxy.error-code')
type ObservedResponse = TimedResponse & { [ERROR_CODE]?: ProxyErrorCode }

/** One finished request: the access-log line, the metrics, and proof that Clerk answers. */
function observe(
  incoming: IncomingMessage,
  outgoing: ObservedResponse,
  started: number,
  requestId: string,
  logger: Logger,
  metrics: ProxyMetrics | undefined,
  readiness: Readiness,
): void {
  const timing = outgoing[UPSTREAM_TIMING]
  const errorCode = outgoing[ERROR_CODE]
  if (timing && errorCode === undefined) readiness.upstreamAnswered()
  const length = outgoing.getHeader('content-length')
  const method = incoming.method ?? 'GET'
  const path = loggablePath(incoming.url ?? '/')
  const status = outgoing.statusCode
  const totalMs = performance.now() - started
  const bytes = timing?.bytes ?? (length === undefined ? 0 : Number(length))
  const aborted = !outgoing.writableFinished
  logger.access({ method, path, status, upstreamMs: timing?.upstreamMs, totalMs, bytes, aborted, requestId })
  metrics?.requestFinished({
    method,
    path,
    status,
    upstreamMs: timing?.upstreamMs,
    totalMs,
    bytesIn: Number(incoming.headers['content-length']) || 0,
    bytesOut: bytes,
    errorCode,
    aborted,
  })
}
