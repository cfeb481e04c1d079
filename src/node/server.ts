import { getRequestListener, RequestError, type Http2Bindings, type HttpBindings } from '@hono/node-server'
import { Hono } from 'hono'
import cluster from 'node:cluster'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { clerkProxy, type ClerkProxyOptions } from '../app.ts'
import { readDuration, readEnv, resolveConfig, resolveOperationsConfig, type ProxyConfig } from '../config.ts'
import { ConfigurationError, proxyErrorCodeOf, proxyErrorResponse, type ProxyErrorCode } from '../errors.ts'
import { createProxyMetrics, type ProxyMetrics } from '../metrics/proxy-metrics.ts'
import { renderExposition } from '../metrics/registry.ts'
import { createReadiness, fapiReachabilityProbe, readinessResponse, type Readiness } from '../readiness.ts'
import { REQUEST_ID_HEADER, requestIdFor } from '../request-id.ts'
import { refuseUnservableRequests } from './client-errors.ts'
import { nodeForwarder, nodePeerAddress, nodeRawTarget, readNodeHeader, REQUEST_ID, UPSTREAM_TIMING, type TimedResponse } from './forward.ts'
import { createLogger, loggablePath, type LogFormat, type Logger } from './log.ts'
import { nodeProcessFigures, startMetricsListener, type MetricsListener } from './metrics-listener.ts'

/** Options for the standalone Node server; the proxy options plus where and how to listen. */
export interface ServeOptions extends ClerkProxyOptions {
  /** Port to listen on (`PORT`, default 3000; 0 picks a free one). */
  port?: number
  /** Address to bind (`HOST`, default `0.0.0.0`). */
  host?: string
  /** Access log and notices: `pretty` (default), `json`, `off`, or your own {@link Logger}. */
  log?: LogFormat | Logger
  /** How long in-flight requests may run after SIGTERM/SIGINT or `shutdown()` (`CLERK_PROXY_SHUTDOWN_TIMEOUT`, default 10 s). */
  shutdownTimeoutMs?: number
  /** Install SIGTERM/SIGINT handlers that shut down gracefully (default true). */
  handleSignals?: boolean
  /** Milliseconds a client has to send its request headers (`CLERK_PROXY_HEADERS_TIMEOUT`, slow-loris guard, default 20 s). */
  headersTimeoutMs?: number
  /**
   * Milliseconds a client has to send its whole request, body included
   * (`CLERK_PROXY_REQUEST_TIMEOUT`, default 120 s; 0 disables it). Slow bodies get `408`.
   */
  requestTimeoutMs?: number
  /** Largest request line plus headers, in bytes (default 16 KiB, Node's); larger get `414`/`431`. */
  maxHeaderSize?: number
  /**
   * Port of the Prometheus metrics listener (`CLERK_PROXY_METRICS_PORT`); off when unset. In a
   * `node:cluster` worker the figures are recorded but the listener is left to the primary
   * (as `clerk-proxy --workers` does).
   */
  metricsPort?: number
  /** Address the metrics listener binds (`CLERK_PROXY_METRICS_HOST`, default `127.0.0.1`). */
  metricsHost?: string
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
  /** `http://host:port` of the metrics listener; `undefined` when off (or in a cluster worker). */
  readonly metricsUrl: string | undefined
  /** What `/readyz` answers. */
  readonly readiness: Readiness
  /** Stops accepting, lets in-flight requests finish up to the bound, then closes the rest. */
  shutdown(timeoutMs?: number): Promise<void>
}

/**
 * Starts the proxy on Node with `@hono/node-server`. The configuration is validated first: a
 * missing or bad value rejects with a `ConfigurationError` naming it. `GET /healthz` answers
 * outside the prefix; other paths outside it answer 404.
 *
 * @example
 * import { serve } from '@fapi-proxy/clerk/node'
 * const running = await serve({ port: 3000 }) // reads CLERK_SECRET_KEY etc. from process.env
 */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env
  const config = resolveConfig({ ...options, env })
  const operations = resolveOperationsConfig({ metricsPort: options.metricsPort, metricsHost: options.metricsHost, env }, 1)
  const logger = typeof options.log === 'object' ? options.log : createLogger(options.log ?? 'pretty')
  let metrics: ProxyMetrics | undefined
  const forward = nodeForwarder({
    notices: { unreachable: (message, fields) => logger.error(message, fields), reachable: (message) => logger.info(message) },
    connections: operations.metrics && {
      opened: (version) => metrics?.upstreamConnectionOpened(version),
      closed: (version) => metrics?.upstreamConnectionClosed(version),
    },
  })
  // Connect to the Frontend API while the server starts listening: the first visitor finds a warm connection.
  forward.warm(config)
  const readiness = createReadiness({ probe: fapiReachabilityProbe(config, (url, init) => fetch(url, init)), connectivity: forward })
  if (operations.metrics) metrics = createProxyMetrics(config.proxyPath, { processFigures: nodeProcessFigures, ready: () => readiness.current().ready })
  const proxy = clerkProxy({
    ...options,
    env,
    forward,
    peerAddress: options.peerAddress ?? nodePeerAddress,
    readHeader: options.readHeader ?? readNodeHeader,
    rawTarget: options.rawTarget ?? nodeRawTarget,
  })
  const app = new Hono<{ Bindings: HttpBindings }>()
  if (config.proxyPath !== '') {
    app.get('/healthz', (c) => c.json({ status: 'ok' }))
    app.get('/readyz', async () => readinessResponse(await readiness.check()))
  }
  app.route('/', proxy)
  app.notFound((c) => c.text('Not Found', 404))

  // Answers the app made itself (the relay has written Clerk's, with the id, already) get the
  // request id, and their error code is kept for the metrics. A wrapper, not a middleware:
  // Hono calls a lone matching handler directly, without composing a chain around it.
  const answered = (response: Response, outgoing: ObservedResponse): Response => {
    if (!outgoing.headersSent) outgoing.setHeader(REQUEST_ID_HEADER, outgoing[REQUEST_ID]!)
    const code = metrics && proxyErrorCodeOf(response)
    if (code) outgoing[ERROR_CODE] = code
    return response
  }
  const fetchAnswer = (request: Request, env: HttpBindings | Http2Bindings): Response | Promise<Response> => {
    const response = app.fetch(request, env)
    const outgoing = env.outgoing as ObservedResponse
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
  const requestTimeout = options.requestTimeoutMs ?? readDuration(env, 'CLERK_PROXY_REQUEST_TIMEOUT') ?? 120_000
  const headersTimeout = options.headersTimeoutMs ?? readDuration(env, 'CLERK_PROXY_HEADERS_TIMEOUT') ?? 20_000
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? readDuration(env, 'CLERK_PROXY_SHUTDOWN_TIMEOUT') ?? 10_000
  let inFlight = 0
  let drained: (() => void) | undefined
  const handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    inFlight++
    metrics?.requestStarted()
    const started = performance.now()
    const requestId = requestIdFor(readNodeHeader({ env: { incoming } }, REQUEST_ID_HEADER), incoming.socket.remoteAddress, config.trustProxy)
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
      requestTimeout,
      headersTimeout: requestTimeout > 0 ? Math.min(headersTimeout, requestTimeout) : headersTimeout,
      // Node checks the two timeouts on this interval (30 s by default): check often enough
      // that a slow-loris client is cut off close to the configured time.
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, headersTimeout / 4)),
      keepAliveTimeout: 5_000,
    },
    handle,
  )
  // Answer `Expect: 100-continue` only for bodies within the limit, so an oversized one is
  // refused with 413 before the client sends a byte of it.
  server.on('checkContinue', (incoming: IncomingMessage, outgoing: ServerResponse) => {
    if (!(Number(incoming.headers['content-length']) > config.maxBodyBytes)) outgoing.writeContinue()
    handle(incoming, outgoing)
  })
  refuseUnservableRequests(server, maxHeaderSize, (status, reason, code) => {
    logger.info('refused malformed request', { status, reason })
    metrics?.proxyErrorAnswered(code)
  })

  const port = options.port ?? numberFromEnv(env, 'PORT') ?? 3000
  const host = options.host ?? readEnv(env, 'HOST') ?? '0.0.0.0'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  // In a cluster the primary serves the metrics of every worker (see workers.ts).
  let metricsListener: MetricsListener | undefined
  if (metrics && operations.metrics && !cluster.isWorker) {
    const registry = metrics.registry
    try {
      metricsListener = await startMetricsListener(operations.metrics, () => renderExposition(registry.snapshot()), readiness)
    } catch (error) {
      server.close()
      await forward.close()
      throw error
    }
  }

  let shuttingDown: Promise<void> | undefined
  const shutdown = (timeoutMs = shutdownTimeoutMs): Promise<void> =>
    (shuttingDown ??= new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer)
        server.closeAllConnections()
        void Promise.all([forward.close(), metricsListener?.close()]).finally(() => resolve())
      }
      const timer = setTimeout(finish, timeoutMs)
      drained = finish
      readiness.startDraining()
      server.close()
      server.closeIdleConnections()
      if (inFlight === 0) finish()
    }))

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (shuttingDown) {
        logger.info('second signal, exiting now', { signal })
        process.exit(1)
      }
      logger.info('shutting down, finishing in-flight requests', { signal, inFlight })
      void shutdown().then(() => {
        logger.info('stopped')
        process.exit(0)
      })
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    server.once('close', () => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
    })
  }
  const running: RunningServer = {
    server,
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    config,
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

function numberFromEnv(env: ClerkProxyOptions['env'], name: string): number | undefined {
  const value = readEnv(env, name)
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigurationError([`${name} must be a port number from 0 to 65535, got "${value}"`])
  return n
}
