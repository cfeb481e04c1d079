/**
 * The Deno adapter. `deno run --allow-net --allow-env adapters/deno.ts` starts a standalone
 * proxy server with the same environment as the `clerk-proxy` CLI (`PORT`, `HOST`, `CLERK_*`,
 * `TRUST_PROXY`); the client IP is the socket peer (`info.remoteAddr`). The default export
 * `{ fetch }` is the Deno Deploy / `deno serve` entrypoint.
 *
 * Deno's `fetch` always decodes compressed bodies, so for a client that accepts gzip the proxy
 * asks Clerk for gzip and compresses the decoded body again with `CompressionStream`: assets
 * leave compressed, on `Deno.serve` and Deno Deploy alike. Other clients get the plain bytes,
 * without `Content-Encoding` or `Content-Length`.
 *
 * @example
 * // main.ts, for Deno Deploy or `deno serve --allow-net --allow-env main.ts`
 * export { default } from '@fapi-proxy/clerk/deno'
 *
 * @module
 */
import type { Context } from 'hono'
import { clerkProxy, type ClerkProxyOptions } from '../src/app.ts'
import { readDuration, readEnv, resolveConfig, type ProxyConfig } from '../src/config.ts'
import type { FetchTransport } from '../src/forward-fetch.ts'
import { onFirstUse } from '../src/platform.ts'
import { metricsListenerApp } from '../src/metrics/listener-app.ts'
import type { Readiness, ReadinessState } from '../src/readiness.ts'
import { createLogger, type LogFormat, type Logger } from '../src/node/log.ts'

export type { ClerkProxyOptions, LogFormat, Logger, ProxyConfig, Readiness, ReadinessState }
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

// Minimal local types for the Deno globals used here (no global augmentation: JSR rejects it).
/** The part of Deno's `ServeHandlerInfo` the proxy uses. */
export interface DenoServeInfo {
  /** A TCP peer has a `hostname`; a Unix-socket or vsock peer has none. */
  readonly remoteAddr: { readonly transport: string; readonly hostname?: string }
}
interface DenoHttpServer {
  readonly addr: { readonly hostname: string; readonly port: number }
  readonly finished: Promise<void>
  shutdown(): Promise<void>
}
interface DenoServeOptions {
  port: number
  hostname: string
  onListen?: (addr: { hostname: string; port: number }) => void
}
declare const Deno: {
  readonly env: { get(name: string): string | undefined }
  memoryUsage(): { rss: number; heapUsed: number }
  serve(options: DenoServeOptions, handler: (request: Request, info: DenoServeInfo) => Response | Promise<Response>): DenoHttpServer
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void
  exit(code: number): never
}

/** Deno's fetch, which always decodes: bodies are gzipped again for clients that accept gzip. */
const denoTransport: FetchTransport = { fetch: (url, init) => fetch(url, init), decodesBody: true, recompress: true }

/**
 * The socket address of the client, from the `info` Deno passes to the handler.
 *
 * @example
 * clerkProxy({ peerAddress: denoPeerAddress }) // app.fetch(request, { info })
 */
export function denoPeerAddress(c: Context): string | undefined {
  return (c.env as { info?: DenoServeInfo } | undefined)?.info?.remoteAddr.hostname
}

/**
 * Drops a `Connection` header from a response: Deno's server decides itself whether a
 * connection closes (it adds `connection: close` when it will, e.g. with a request body left
 * unread), so the proxy's own would be sent a second time.
 *
 * @example
 * Deno.serve(async (request) => withoutConnectionHeader(await app.fetch(request)))
 */
export function withoutConnectionHeader(response: Response): Response {
  if (!response.headers.has('connection')) return response
  try {
    response.headers.delete('connection')
    return response
  } catch {
    // Immutable headers (a fetch() response): copy them.
    const headers = new Headers(response.headers)
    headers.delete('connection')
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }
}

/**
 * Reads a variable from `Deno.env` (needs `--allow-env`).
 *
 * @example
 * clerkProxy({ env: denoEnv })
 */
export function denoEnv(name: string): string | undefined {
  return Deno.env.get(name)
}

/** Options for {@link serve}: the proxy options plus where to listen. */
export interface DenoServeProxyOptions extends ClerkProxyOptions {
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

/** A running Deno proxy server. */
export interface RunningDenoServer {
  /** `http://host:port` the server listens on. */
  readonly url: string
  /** The port it listens on. */
  readonly port: number
  /** The validated configuration. */
  readonly config: ProxyConfig
  /** The logger the server writes to (access lines, notices); `undefined` with `CLERK_PROXY_LOG=off`. */
  readonly logger: Logger | undefined
  /** `http://host:port` of the metrics listener; `undefined` when metrics are off. */
  readonly metricsUrl: string | undefined
  /** What `/readyz` answers. */
  readonly readiness: Readiness
  /** Stops accepting connections and lets in-flight requests finish. */
  stop(): Promise<void>
}

/**
 * Starts the proxy with `Deno.serve`. The configuration is validated first: a missing or bad
 * value throws a `ConfigurationError` naming the variable. `GET /healthz` answers outside the
 * prefix; other paths outside it answer 404.
 *
 * @example
 * import { serve } from '@fapi-proxy/clerk/deno'
 * const running = serve({ port: 8000 }) // reads CLERK_SECRET_KEY etc. from Deno.env
 */
export function serve(options: DenoServeProxyOptions = {}): RunningDenoServer {
  const env = options.env ?? denoEnv
  const config = resolveConfig({ ...options, env })
  const { port, hostname } = listenAddress(env, options)
  const logger = typeof options.log === 'object' ? options.log : standaloneLogger(env, (line) => console.log(line), options.log)
  // Deno prints a body stream's error reason; a string it prints as is, so the reason is the
  // log line itself (in the configured format, with no query string).
  const format = typeof options.log === 'string' ? options.log : readEnv(env, 'CLERK_PROXY_LOG')?.trim()
  const bodyError = (message: string, fields: Readonly<Record<string, string>>): string => {
    let line = ''
    if (format !== 'off') createLogger(format === 'json' ? 'json' : 'pretty', (text) => (line = text)).error(message, fields)
    return line
  }
  const operations = standaloneOperations(config, { ...options, env }, { fetch: (url, init) => fetch(url, init), processFigures: denoProcessFigures })
  const app = standaloneApp(
    { ...options, env, transport: options.transport ?? denoTransport, peerAddress: options.peerAddress ?? denoPeerAddress },
    config,
    logger,
    bodyError,
    operations,
  )
  const server = Deno.serve({ port, hostname, onListen: () => {} }, async (request, info) => withoutConnectionHeader(await app.fetch(request, { info })))
  const address = operations.metricsAddress
  const metricsServer = address && Deno.serve({ port: address.port, hostname: address.host, onListen: () => {} }, metricsListenerApp(operations.exposition, operations.readiness).fetch)
  const stop = async (): Promise<void> => {
    operations.readiness.startDraining()
    await server.shutdown()
    await metricsServer?.shutdown()
  }
  if (options.handleSignals ?? true) {
    const timeoutMs = options.shutdownTimeoutMs ?? readDuration(env, 'CLERK_PROXY_SHUTDOWN_TIMEOUT') ?? DEFAULT_SHUTDOWN_TIMEOUT_MS
    stopOnSignals(
      {
        on: (listener) => {
          Deno.addSignalListener('SIGTERM', () => listener('SIGTERM'))
          Deno.addSignalListener('SIGINT', () => listener('SIGINT'))
        },
        // Deno has no "close every connection": at the bound the process exits, which does.
        drain: stop,
        exit: (code) => Deno.exit(code),
      },
      timeoutMs,
      logger,
    )
  }
  const shownHost = server.addr.hostname.includes(':') ? `[${server.addr.hostname}]` : server.addr.hostname
  const metricsUrl = metricsServer && `http://${metricsServer.addr.hostname.includes(':') ? `[${metricsServer.addr.hostname}]` : metricsServer.addr.hostname}:${metricsServer.addr.port}`
  return { url: `http://${shownHost}:${server.addr.port}`, port: server.addr.port, config, logger, metricsUrl, readiness: operations.readiness, stop }
}

function denoProcessFigures(): { residentMemoryBytes: number; heapUsedBytes: number } {
  const { rss, heapUsed } = Deno.memoryUsage()
  return { residentMemoryBytes: rss, heapUsedBytes: heapUsed }
}

const proxyForDeno = onFirstUse(() => clerkProxy({ env: denoEnv, transport: denoTransport, peerAddress: denoPeerAddress }))

/** A Deno fetch handler: `(request, info)`. */
export type DenoFetchHandler = (request: Request, info: DenoServeInfo) => Promise<Response>

const fetchHandler: DenoFetchHandler = async (request, info) => withoutConnectionHeader(await proxyForDeno().fetch(request, { info }))

/**
 * The Deno Deploy / `deno serve` entrypoint: re-export it from your entry file. The
 * environment is read on the first request; a bad one answers `500 proxy_configuration_error`.
 */
const denoEntry: { readonly fetch: DenoFetchHandler } = {
  // When this file is itself the entry (`deno run adapters/deno.ts`), the explicit server
  // below runs: hide `fetch` so Deno does not suggest `deno serve` for the default export.
  get fetch(): DenoFetchHandler {
    return ((import.meta as { main?: boolean }).main ? undefined : fetchHandler) as DenoFetchHandler
  },
}
export default denoEntry

if ((import.meta as { main?: boolean }).main) {
  try {
    const running = serve()
    announceStart('deno', running.url, running.config, denoEnv, running.logger, (line) => console.log(line), running.metricsUrl)
  } catch (error) {
    const message = startupFailure(error)
    if (message === undefined) throw error
    console.error(message)
    Deno.exit(1)
  }
}
