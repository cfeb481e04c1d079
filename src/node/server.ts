import { getRequestListener, RequestError } from '@hono/node-server'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ProxyConfig } from '../config/proxy.ts'
import { resolveServerConfig, type ServerConfigOptions } from '../config/server.ts'
import { proxyErrorResponse } from '../errors.ts'
import { createLogger, loggablePath, type Logger } from '../log.ts'
import { serverApp } from '../standalone/app.ts'
import type { StandaloneServeOptions } from '../standalone/serve.ts'
import { stopOnSignals } from '../standalone/signals.ts'
import { serverUrl } from '../standalone/start.ts'
import { refuseUnservableRequests } from './client-errors.ts'
import { UPSTREAM_TIMING, type TimedResponse } from './forward.ts'
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
  const config = resolveServerConfig({ ...options, env })
  const logger = typeof options.log === 'object' ? options.log : createLogger(config.log)
  const proxy = nodeProxy({ ...options, env }, config.proxy)
  const app = serverApp(proxy.handler, config.proxy)
  const listener = getRequestListener(app.fetch, {
    // Requests @hono/node-server cannot turn into a URL (bad Host, backslash in the path).
    errorHandler: (error) =>
      error instanceof RequestError
        ? proxyErrorResponse(400, 'proxy_bad_request', 'Malformed request', 'The request target or Host header cannot be parsed.')
        : proxyErrorResponse(500, 'proxy_request_failed', 'Internal proxy error'),
  })
  const maxHeaderSize = options.maxHeaderSize ?? 16 * 1024
  const { requestTimeoutMs, headersTimeoutMs } = config
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
  refuseUnservableRequests(server, maxHeaderSize, (status, reason) => logger.info('refused malformed request', { status, reason }))

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.hostname, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo

  let shuttingDown: Promise<void> | undefined
  const shutdown = (timeoutMs = config.shutdownTimeoutMs): Promise<void> =>
    (shuttingDown ??= new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer)
        server.closeAllConnections()
        void proxy.close().finally(resolve)
      }
      const timer = setTimeout(finish, timeoutMs)
      drained = finish
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
  return { server, url: serverUrl(address.address, address.port), port: address.port, config: config.proxy, logger, shutdown }
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
