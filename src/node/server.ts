import { getRequestListener, type HttpBindings } from '@hono/node-server'
import { Hono } from 'hono'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { clerkProxy, type ClerkProxyOptions } from '../app.ts'
import { readEnv, resolveConfig, type ProxyConfig } from '../config.ts'
import { ConfigurationError } from '../errors.ts'
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
  /** How long in-flight requests may run after SIGTERM/SIGINT or `shutdown()` (default 10 s). */
  shutdownTimeoutMs?: number
  /** Install SIGTERM/SIGINT handlers that shut down gracefully (default true). */
  handleSignals?: boolean
  /** Seconds a client has to send its request headers (slow-loris guard, default 20 s). */
  headersTimeoutMs?: number
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
  const forward = nodeForwarder()
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

  const listener = getRequestListener(app.fetch)
  let inFlight = 0
  let drained: (() => void) | undefined
  const server = createServer((incoming, outgoing) => {
    inFlight++
    const started = performance.now()
    outgoing.once('close', () => {
      logAccess(logger, incoming, outgoing, started)
      if (--inFlight === 0) drained?.()
    })
    void listener(incoming, outgoing)
  })
  server.headersTimeout = options.headersTimeoutMs ?? 20_000
  // Uploads to Clerk are small, but a slow mobile client must not be cut off mid-body.
  server.requestTimeout = 0
  server.keepAliveTimeout = 5_000

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
  const shutdown = (timeoutMs = options.shutdownTimeoutMs ?? 10_000): Promise<void> =>
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
