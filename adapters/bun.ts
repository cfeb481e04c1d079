/**
 * The Bun adapter. `bun run adapters/bun.ts` starts a standalone proxy server with the same
 * environment as the `clerk-proxy` CLI (`PORT`, `HOST`, `CLERK_*`, `TRUST_PROXY`). The client
 * IP is the socket peer (`server.requestIP`), and upstream bodies stay compressed
 * (`fetch(…, { decompress: false })`), so assets cross the wire as Clerk sent them.
 *
 * @example
 * // server.ts, run with: bun run server.ts
 * import { serve } from '@fapi-proxy/clerk/bun'
 * serve({ port: 3000, trustProxy: 1 })
 *
 * @module
 */
import type { Context } from 'hono'
import { clerkProxy, type ClerkProxyOptions } from '../src/app.ts'
import { readDuration, resolveConfig, type ProxyConfig } from '../src/config.ts'
import type { FetchTransport } from '../src/forward-fetch.ts'
import { metricsListenerApp } from '../src/metrics/listener-app.ts'
import type { Readiness, ReadinessState } from '../src/readiness.ts'
import { onFirstUse } from '../src/platform.ts'
import type { LogFormat, Logger } from '../src/node/log.ts'

export type { ClerkProxyOptions, FetchTransport, LogFormat, Logger, ProxyConfig, Readiness, ReadinessState }
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  listenAddress,
  standaloneApp,
  standaloneLogger,
  standaloneOperations,
  startupFailure,
  announceStart,
  stopOnSignals,
} from '../src/standalone.ts'

// Minimal local types for the Bun globals used here (no global augmentation: JSR rejects it).
/** The part of Bun's `Server` the proxy uses. */
export interface BunServer {
  /** The port the server listens on. */
  readonly port?: number | undefined
  /** The address the server listens on. */
  readonly hostname?: string | undefined
  /** The address of the client that sent `request`. */
  requestIP(request: Request): { address: string } | null
  /** Stops the server (gracefully unless told to close active connections). */
  stop(closeActiveConnections?: boolean): Promise<void>
}
interface BunServeOptions {
  port: number
  hostname: string
  idleTimeout?: number
  maxRequestBodySize?: number
  fetch(request: Request, server: BunServer): Response | Promise<Response>
}
declare const Bun: {
  readonly env: Record<string, string | undefined>
  serve(options: BunServeOptions): BunServer
}
declare const process: {
  on(signal: 'SIGTERM' | 'SIGINT', listener: (signal: string) => void): void
  exit(code: number): never
  memoryUsage(): { rss: number; heapUsed: number }
  cpuUsage(): { user: number; system: number }
}

/** Bun's fetch with `decompress: false`: compressed bodies reach the client as sent. */
export const bunTransport: FetchTransport = {
  fetch: (url, init) => fetch(url, { ...init, decompress: false } as RequestInit),
  decodesBody: false,
}

/**
 * The socket address of the client, from the `Bun.Server` passed to `fetch`.
 *
 * @example
 * clerkProxy({ peerAddress: bunPeerAddress }) // app.fetch(request, { server })
 */
export function bunPeerAddress(c: Context): string | undefined {
  const server = (c.env as { server?: BunServer } | undefined)?.server
  return server?.requestIP(c.req.raw)?.address
}

/** Options for {@link serve}: the proxy options plus where to listen. */
export interface BunServeProxyOptions extends ClerkProxyOptions {
  /** Port to listen on (`PORT`, default 3000; 0 picks a free one). */
  port?: number
  /** Address to bind (`HOST`, default `0.0.0.0`). */
  host?: string
  /** Stop gracefully on SIGTERM/SIGINT (default true); a second signal exits at once. */
  handleSignals?: boolean
  /** How long in-flight requests may run after SIGTERM/SIGINT (`CLERK_PROXY_SHUTDOWN_TIMEOUT`, default 10 s). */
  shutdownTimeoutMs?: number
  /** Access log: `pretty` (default), `json`, `off` (`CLERK_PROXY_LOG`), or your own {@link Logger}. */
  log?: LogFormat | Logger
  /** Port of the Prometheus metrics listener (`CLERK_PROXY_METRICS_PORT`); off when unset. */
  metricsPort?: number
  /** Address the metrics listener binds (`CLERK_PROXY_METRICS_HOST`, default `127.0.0.1`). */
  metricsHost?: string
}

/** A running Bun proxy server. */
export interface RunningBunServer {
  /** `http://host:port` the server listens on. */
  readonly url: string
  /** The port it listens on. */
  readonly port: number
  /** The validated configuration. */
  readonly config: ProxyConfig
  /** The logger the server writes to (access lines, notices); `undefined` with `CLERK_PROXY_LOG=off`. */
  readonly logger: Logger | undefined
  /** Bun's server. */
  readonly server: BunServer
  /** `http://host:port` of the metrics listener; `undefined` when metrics are off. */
  readonly metricsUrl: string | undefined
  /** What `/readyz` answers. */
  readonly readiness: Readiness
  /** Stops accepting connections and lets in-flight requests finish. */
  stop(): Promise<void>
}

/**
 * Starts the proxy with `Bun.serve`. The configuration is validated first: a missing or bad
 * value throws a `ConfigurationError` naming the variable. `GET /healthz` answers outside the
 * prefix; other paths outside it answer 404.
 *
 * @example
 * import { serve } from '@fapi-proxy/clerk/bun'
 * const running = serve({ port: 0 }) // reads CLERK_SECRET_KEY etc. from Bun.env
 */
export function serve(options: BunServeProxyOptions = {}): RunningBunServer {
  const env = options.env ?? Bun.env
  const config = resolveConfig({ ...options, env })
  const { port, hostname } = listenAddress(env, options)
  const logger = typeof options.log === 'object' ? options.log : standaloneLogger(env, (line) => console.log(line), options.log)
  const operations = standaloneOperations(config, { ...options, env }, { fetch: bunTransport.fetch, processFigures: bunProcessFigures })
  const app = standaloneApp(
    { ...options, env, transport: options.transport ?? bunTransport, peerAddress: options.peerAddress ?? bunPeerAddress },
    config,
    logger,
    // Bun prints a body stream's error with the source line around it; `undefined` it prints
    // as nothing, so the proxy logs the (query-free) line itself.
    (message, fields) => void logger?.error(message, fields),
    operations,
  )
  // Bun's own pool opens the first connection to the Frontend API (TCP + TLS) now, not on the first request.
  if (config.upstream.preconnect) (fetch as unknown as { preconnect?(url: string): void }).preconnect?.(config.fapiOrigin)
  const server = Bun.serve({
    port,
    hostname,
    // Bun closes connections idle for 10 s by default: longer than that a request may wait for Clerk.
    idleTimeout: Math.min(255, Math.ceil(config.timeoutMs / 1000) + 5),
    // Bun answers a declared Content-Length over its own limit (128 MiB by default) with a bare
    // 413 before the proxy sees the request, and cuts longer streamed uploads off. The proxy
    // enforces CLERK_PROXY_MAX_BODY itself (413 in Clerk's shape, chunked bodies counted), so
    // Bun's own limit is lifted out of the way.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: (request, server) => app.fetch(request, { server }),
  })
  const metricsServer = operations.metricsAddress
    ? Bun.serve({ port: operations.metricsAddress.port, hostname: operations.metricsAddress.host, fetch: metricsListenerApp(operations.exposition, operations.readiness).fetch })
    : undefined
  const stop = async (): Promise<void> => {
    operations.readiness.startDraining()
    await server.stop()
    await metricsServer?.stop(true)
  }
  if (options.handleSignals ?? true) {
    const timeoutMs = options.shutdownTimeoutMs ?? readDuration(env, 'CLERK_PROXY_SHUTDOWN_TIMEOUT') ?? DEFAULT_SHUTDOWN_TIMEOUT_MS
    stopOnSignals(
      {
        on: (listener) => {
          process.on('SIGTERM', listener)
          process.on('SIGINT', listener)
        },
        drain: stop,
        closeAll: () => void server.stop(true),
        exit: (code) => process.exit(code),
      },
      timeoutMs,
      logger,
    )
  }
  const shownHost = hostname.includes(':') ? `[${hostname}]` : hostname
  const boundPort = server.port ?? port
  const metricsUrl = metricsServer && `http://${metricsServer.hostname?.includes(':') ? `[${metricsServer.hostname}]` : metricsServer.hostname}:${metricsServer.port}`
  return { url: `http://${shownHost}:${boundPort}`, port: boundPort, config, logger, server, metricsUrl, readiness: operations.readiness, stop }
}

function bunProcessFigures(): { residentMemoryBytes: number; heapUsedBytes: number; cpuSeconds: number } {
  const { rss, heapUsed } = process.memoryUsage()
  const cpu = process.cpuUsage()
  return { residentMemoryBytes: rss, heapUsedBytes: heapUsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
}

const proxyForBun = onFirstUse(() => clerkProxy({ env: Bun.env, transport: bunTransport, peerAddress: bunPeerAddress }))

/** A Bun fetch handler: `(request, server)`. */
export type BunFetchHandler = (request: Request, server: BunServer) => Promise<Response>

const fetchHandler: BunFetchHandler = async (request, server) => proxyForBun().fetch(request, { server })

/**
 * `export default` this from your own entry to let Bun serve it (`bun run entry.ts` serves a
 * default export's `fetch`); the environment is read on the first request, and a bad one
 * answers `500 proxy_configuration_error`.
 */
const bunEntry: { readonly fetch: BunFetchHandler } = {
  // When this file is itself the entry, the explicit server below runs instead: hide `fetch`
  // so Bun does not start a second server from the default export.
  get fetch(): BunFetchHandler {
    return ((import.meta as { main?: boolean }).main ? undefined : fetchHandler) as BunFetchHandler
  },
}
export default bunEntry

if ((import.meta as { main?: boolean }).main) {
  try {
    const running = serve()
    announceStart('bun', running.url, running.config, Bun.env, running.logger, (line) => console.log(line), running.metricsUrl)
  } catch (error) {
    const message = startupFailure(error)
    if (message === undefined) throw error
    console.error(message)
    process.exit(1)
  }
}
