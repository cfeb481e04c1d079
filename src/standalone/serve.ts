/**
 * The standalone server on a runtime with a fetch-handler server (Bun, Deno): configuration,
 * logger, app, signals and the entry-file start-up, written once. Each adapter supplies only
 * what differs: its environment, client IP, transport and how to listen.
 */
import type { Hono } from 'hono'
import { clerkProxy, clerkProxyHandler, proxyResponder, type ClerkProxyOptions } from '../app.ts'
import type { EnvSource } from '../config/env.ts'
import type { ProxyConfig } from '../config/proxy.ts'
import { resolveServerConfig, type ServerConfig, type ServerConfigOptions } from '../config/server.ts'
import type { UpstreamConfig } from '../config/upstream.ts'
import type { FetchTransport } from '../forward-fetch.ts'
import { createLogger, type LogFormat, type Logger } from '../log.ts'
import { metricsListenerApp } from '../metrics/listener-app.ts'
import type { ProcessFigures } from '../metrics/proxy-metrics.ts'
import { onFirstUse } from '../platform.ts'
import type { Readiness } from '../readiness.ts'
import { REQUEST_ID_HEADER, requestIdFor } from '../request-id.ts'
import { describeTransportError } from '../upstream-error.ts'
import { accessLog, requestObserver, type BodyErrorReason, type RequestObserver } from './access-log.ts'
import { serverApp } from './app.ts'
import { probeAtStart, standaloneOperations } from './operations.ts'
import { boundedStop, stopOnSignals } from './signals.ts'
import { announceStart, serverUrl, startupFailure } from './start.ts'

/** Options of a standalone server: the proxy options plus where and how to listen. */
export interface StandaloneServeOptions extends ClerkProxyOptions, Omit<ServerConfigOptions, 'headersTimeoutMs' | 'requestTimeoutMs' | 'workers'> {
  /** Stop gracefully on SIGTERM/SIGINT (default true); a second signal exits at once. */
  handleSignals?: boolean
}

/** A running standalone server. */
export interface RunningStandaloneServer {
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

/** A server a runtime started. */
export interface Listening<Server> {
  /** The runtime's server object. */
  readonly server: Server
  /** The address and port actually bound. */
  readonly hostname: string
  readonly port: number
  /** Stops accepting connections; resolves when in-flight requests are done. */
  stop(): Promise<void>
  /** Closes every connection still open (when the shutdown bound passes), where the runtime can. */
  closeAll?(): void
}

/** A runtime's fetch handler: the request and what the runtime passes beside it (Bun's server, Deno's info). */
export type FetchHandler<Info> = (request: Request, info: Info) => Promise<Response>

/** What a runtime supplies to run the standalone server. */
export interface FetchServerPlatform<Server, Info> {
  /** Its name in the start-up notice. */
  readonly runtime: string
  /** Where the environment comes from unless `options.env` is given. */
  readonly env: EnvSource
  /** The client IP and transport, unless the options give their own. */
  readonly adapter: Pick<ClerkProxyOptions, 'peerAddress' | 'transport'>
  /** What a broken-off response body is errored with, so the runtime prints a line free of URLs. */
  bodyError(logger: Logger | undefined, format: LogFormat): BodyErrorReason
  /** Hands a request to the app with what the runtime passed beside it. */
  respond(app: Hono, request: Request, info: Info): Response | Promise<Response>
  /**
   * The connecting peer's address from what the runtime passed beside the request. A platform
   * that gives it, and whose `respond` does nothing but `app.fetch`, has requests under the
   * prefix answered without Hono's routing and context (see {@link serveStandalone}).
   */
  requestPeer?(request: Request, info: Info): string | undefined
  /**
   * True when the runtime's server reads a body with a declared `Content-Length` to exactly that
   * length and errors it when the client leaves early, and its fetch then aborts the upstream
   * request (Bun): such bodies are forwarded without a counting stream on the fast path.
   */
  readonly framesBodies?: boolean
  /** Starts listening with the handler (the proxy's, or the metrics listener's on its own address). */
  listen(handler: (request: Request, info: Info) => Response | Promise<Response>, config: ServerConfig): Listening<Server>
  /**
   * The transport of the standalone server, built from its upstream settings, where the
   * runtime's fetch takes them (Deno's HTTP client: keep-alive, HTTP/2); `adapter.transport`
   * otherwise.
   */
  upstreamTransport?(upstream: UpstreamConfig): FetchTransport | undefined
  /** Hands the upstream settings to the transport, which connects to the Frontend API ahead of the first requests when pre-connecting is on (Bun). */
  upstream?(fapi: Pick<ProxyConfig, 'fapiOrigin' | 'fapiBasePath'>, settings: UpstreamConfig): void
  /** The process figures of the metrics (memory, CPU), where the runtime has them. */
  processFigures?(): ProcessFigures
  /** Subscribes to SIGTERM and SIGINT. */
  onSignal(listener: (signal: string) => void): void
  /** Ends the process. */
  exit(code: number): void
}

/**
 * Validates the configuration (throwing a `ConfigurationError` naming each bad variable),
 * builds the logger and app, starts listening (and the metrics listener, when on) and
 * installs the signal handlers; stopping first makes `/readyz` answer "draining".
 *
 * @example
 * const running = serveStandalone(bunPlatform, { port: 0 })
 */
export function serveStandalone<Server, Info>(
  platform: FetchServerPlatform<Server, Info>,
  options: StandaloneServeOptions,
  announce?: (running: RunningStandaloneServer, config: ServerConfig) => void,
): RunningStandaloneServer & { readonly server: Server } {
  const env = options.env ?? platform.env
  const config = resolveServerConfig({ ...options, env })
  const logger = typeof options.log === 'object' ? options.log : config.log === 'off' ? undefined : createLogger(config.log, (line) => console.log(line))
  const proxyOptions: ClerkProxyOptions = {
    ...options,
    env,
    peerAddress: options.peerAddress ?? platform.adapter.peerAddress,
    transport: options.transport ?? platform.upstreamTransport?.(config.upstream) ?? platform.adapter.transport,
  }
  const operations = standaloneOperations(config, {
    fetch: proxyOptions.transport?.fetch ?? ((url, init) => fetch(url, init)),
    processFigures: platform.processFigures,
  })
  const bodyError = platform.bodyError(logger, config.log)
  const trust = config.proxy.trustProxy
  // A request id is taken from a trusted proxy only: without TRUST_PROXY neither the header nor the peer is read.
  const requestIdOf: RequestIdOf = (incoming, peer) => {
    if (trust.kind === 'none') return requestIdFor(undefined, undefined, trust)
    const id = incoming() ?? undefined
    return requestIdFor(id, id === undefined ? undefined : peer(), trust)
  }
  const handle = directHandler(platform, proxyOptions, config, requestObserver(logger, bodyError, operations), requestIdOf)
  const observed = handle ? undefined : accessLog(logger, bodyError, { requestIdOf: (c) => requestIdOf(() => c.req.header(REQUEST_ID_HEADER), () => proxyOptions.peerAddress?.(c)), ...operations })
  const app = serverApp(clerkProxyHandler(proxyOptions, config.proxy), config.proxy, observed, operations.readiness)
  platform.upstream?.(config.proxy, config.upstream)
  const listening = platform.listen(handle ? (request, info) => handle(request, info, app) : (request, info) => platform.respond(app, request, info), config)
  const metricsListening = config.metrics && listenForMetrics(platform, config, operations.exposition, operations.readiness, listening)
  // Bun's transport connects ahead itself (and a probe over its HTTP/1.1 fallback would open a connection of its own).
  if (!platform.upstream) {
    probeAtStart(config, operations.readiness, (error) =>
      logger?.error('cannot reach the Frontend API at start; the first request will try again', { error: describeTransportError(error) }),
    )
  }
  const stop = async (): Promise<void> => {
    operations.readiness.startDraining()
    await listening.stop()
    // Open scrapes are cut: the figures of a stopped server are of no use.
    metricsListening?.closeAll?.()
    await metricsListening?.stop()
  }
  if (options.handleSignals ?? true) {
    stopOnSignals({ on: platform.onSignal, stop: boundedStop(stop, config.shutdownTimeoutMs, listening.closeAll), exit: platform.exit }, logger)
  }
  const running = {
    url: serverUrl(listening.hostname, listening.port),
    port: listening.port,
    config: config.proxy,
    logger,
    server: listening.server,
    metricsUrl: metricsListening && serverUrl(metricsListening.hostname, metricsListening.port),
    readiness: operations.readiness,
    stop,
  }
  announce?.(running, config)
  return running
}

/** The request id from the incoming `X-Request-Id` and the peer, each read only when needed. */
type RequestIdOf = (incoming: () => string | null | undefined, peer: () => string | undefined) => string

/** One request on the fast path: the request and its peer (read once). */
interface DirectRequest {
  readonly request: Request
  readonly peer: string | undefined
}

// Options that take a Hono `Context`: given any of them (or a peerAddress other than the platform's), requests go through the Hono app.
const CONTEXT_HOOKS = ['contextEnv', 'forward', 'readHeader', 'rawTarget', 'clientAddress'] as const

/**
 * The handler for a platform that reads the peer from the request (`requestPeer`): requests
 * under the prefix go to the proxy directly, without Hono's routing, context and middleware
 * chain (a measurable share of a request on Bun); every other path (`/healthz`, `/readyz`, 404)
 * goes to the app. Both are observed alike. `undefined` when the options hold a hook of their
 * own that takes a Hono `Context`.
 */
function directHandler<Server, Info>(
  platform: FetchServerPlatform<Server, Info>,
  options: ClerkProxyOptions,
  config: ServerConfig,
  observe: RequestObserver,
  requestIdOf: RequestIdOf,
): ((request: Request, info: Info, app: Hono) => Promise<Response>) | undefined {
  const requestPeer = platform.requestPeer
  if (!requestPeer || options.peerAddress !== platform.adapter.peerAddress || CONTEXT_HOOKS.some((hook) => options[hook] !== undefined)) return undefined
  const { contextEnv, forward, readHeader, rawTarget, clientAddress, ...rest } = options
  const proxy = proxyResponder<DirectRequest>({ ...rest, peerAddress: (direct) => direct.peer, framedBodies: platform.framesBodies }, (direct) => direct.request, config.proxy)
  return (request, info, app) => {
    const direct: DirectRequest = { request, peer: requestPeer(request, info) }
    const requestId = requestIdOf(() => request.headers.get(REQUEST_ID_HEADER), () => direct.peer)
    return observe(request, requestId, () => proxy(direct) ?? platform.respond(app, request, info))
  }
}

/** Starts the metrics listener on its own address; if it cannot listen, the proxy's listener is closed too. */
function listenForMetrics<Server, Info>(
  platform: FetchServerPlatform<Server, Info>,
  config: ServerConfig,
  exposition: () => string,
  readiness: Readiness,
  proxyListening: Listening<Server>,
): Listening<Server> {
  const app = metricsListenerApp(exposition, readiness)
  try {
    return platform.listen((request) => app.fetch(request), { ...config, port: config.metrics!.port, hostname: config.metrics!.host })
  } catch (error) {
    proxyListening.closeAll?.()
    void proxyListening.stop()
    throw error
  }
}

/**
 * The default export of an adapter file: `{ fetch }` for a runtime that serves a module's
 * default export (`deno serve`, Deno Deploy, Bun's entry). The proxy is built on the first
 * request, so importing the adapter reads no environment; a bad one answers
 * `500 proxy_configuration_error`. When the file is itself the entry (`bun run
 * adapters/bun.ts`), the server starts from the environment instead, and `fetch` is hidden so
 * the runtime does not start a second server from the default export.
 *
 * @example
 * export default fetchEntry(bunPlatform, (import.meta as { main?: boolean }).main)
 */
export function fetchEntry<Server, Info>(platform: FetchServerPlatform<Server, Info>, isEntry: boolean | undefined): { readonly fetch: FetchHandler<Info> } {
  if (isEntry) runEntry(platform)
  const proxy = onFirstUse(() => clerkProxy({ env: platform.env, ...platform.adapter }))
  const handler: FetchHandler<Info> = async (request, info) => platform.respond(proxy(), request, info)
  return {
    get fetch(): FetchHandler<Info> {
      return (isEntry ? undefined : handler) as FetchHandler<Info>
    },
  }
}

/** Starts the server from the environment: prints the start-up notice, or the configuration problem and exits 1. */
function runEntry<Server, Info>(platform: FetchServerPlatform<Server, Info>): void {
  try {
    serveStandalone(platform, {}, (running, config) =>
      announceStart(platform.runtime, running.url, running.config, config.log, running.logger, (line) => console.log(line), running.metricsUrl),
    )
  } catch (error) {
    const message = startupFailure(error)
    if (message === undefined) throw error
    console.error(message)
    platform.exit(1)
  }
}
