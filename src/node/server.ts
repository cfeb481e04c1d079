import { getRequestListener, RequestError, type HttpBindings } from '@hono/node-server'
import { Hono } from 'hono'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { clerkProxy, type ClerkProxyOptions } from '../app.ts'
import { readDuration, readEnv, resolveConfig, type ProxyConfig } from '../config.ts'
import { ConfigurationError, proxyErrorResponse } from '../errors.ts'
import { refuseUnservableRequests } from './client-errors.ts'
import { nodeForwarder, nodePeerAddress, nodeRawTarget, readNodeHeader, UPSTREAM_TIMING, type TimedResponse } from './forward.ts'
import { createLogger, loggablePath, type LogFormat, type Logger } from './log.ts'

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
  const logger = typeof options.log === 'object' ? options.log : createLogger(options.log ?? 'pretty')
  const forward = nodeForwarder({ unreachable: (message, fields) => logger.error(message, fields), reachable: (message) => logger.info(message) })
  // Connect to the Frontend API while the server starts listening: the first visitor finds a warm connection.
  forward.warm(config)
  const proxy = clerkProxy({
    ...options,
    env,
    forward,
    peerAddress: options.peerAddress ?? nodePeerAddress,
    readHeader: options.readHeader ?? readNodeHeader,
    rawTarget: options.rawTarget ?? nodeRawTarget,
  })
  const app = new Hono<{ Bindings: HttpBindings }>()
  if (config.proxyPath !== '') app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.route('/', proxy)
  app.notFound((c) => c.text('Not Found', 404))

  const listener = getRequestListener(app.fetch, {
    // Requests @hono/node-server cannot turn into a URL (bad Host, backslash in the path).
    errorHandler: (error) =>
      error instanceof RequestError
        ? proxyErrorResponse(400, 'proxy_bad_request', 'Malformed request', 'The request target or Host header cannot be parsed.')
        : proxyErrorResponse(500, 'proxy_request_failed', 'Internal proxy error'),
  })
  const maxHeaderSize = options.maxHeaderSize ?? 16 * 1024
  const requestTimeout = options.requestTimeoutMs ?? readDuration(env, 'CLERK_PROXY_REQUEST_TIMEOUT') ?? 120_000
  const headersTimeout = options.headersTimeoutMs ?? readDuration(env, 'CLERK_PROXY_HEADERS_TIMEOUT') ?? 20_000
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? readDuration(env, 'CLERK_PROXY_SHUTDOWN_TIMEOUT') ?? 10_000
  let inFlight = 0
  let drained: (() => void) | undefined
  const handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    inFlight++
    const started = performance.now()
    outgoing.once('close', () => {
      logAccess(logger, incoming, outgoing, started)
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
  refuseUnservableRequests(server, maxHeaderSize, (status, reason) => logger.info('refused malformed request', { status, reason }))

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

  let shuttingDown: Promise<void> | undefined
  const shutdown = (timeoutMs = shutdownTimeoutMs): Promise<void> =>
    (shuttingDown ??= new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer)
        server.closeAllConnections()
        void forward.close().finally(resolve)
      }
      const timer = setTimeout(finish, timeoutMs)
      drained = finish
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
  return { server, url: `http://${shownHost}:${address.port}`, port: address.port, config, shutdown }
}

function logAccess(logger: Logger, incoming: IncomingMessage, outgoing: ServerResponse, started: number): void {
  const timing = (outgoing as TimedResponse)[UPSTREAM_TIMING]
  const length = outgoing.getHeader('content-length')
  logger.access({
    method: incoming.method ?? 'GET',
    path: loggablePath(incoming.url ?? '/'),
    status: outgoing.statusCode,
    upstreamMs: timing?.upstreamMs,
    totalMs: performance.now() - started,
    bytes: timing?.bytes ?? (length === undefined ? 0 : Number(length)),
    aborted: !outgoing.writableFinished,
  })
}

function numberFromEnv(env: ClerkProxyOptions['env'], name: string): number | undefined {
  const value = readEnv(env, name)
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigurationError([`${name} must be a port number from 0 to 65535, got "${value}"`])
  return n
}
