/**
 * What the standalone servers on Bun and Deno share: where to listen, the app they serve
 * (`/healthz` plus the proxy, 404 elsewhere) and the lines they print at start-up. No
 * platform globals here: each adapter passes its own environment in.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { clerkProxyHandler, type ClerkProxyOptions } from './app.ts'
import { readEnv, resolveOperationsConfig, type EnvSource, type OperationsConfig, type ProxyConfig } from './config.ts'
import { BUFFERED_BODY_LIMIT, upstreamHeadersMs } from './forward-fetch.ts'
import { ConfigurationError, proxyErrorCodeOf } from './errors.ts'
import { createProxyMetrics, type ProcessFigures, type ProxyMetrics } from './metrics/proxy-metrics.ts'
import { renderExposition } from './metrics/registry.ts'
import { createReadiness, fapiReachabilityProbe, readinessResponse, type Readiness } from './readiness.ts'
import { REQUEST_ID_HEADER, requestIdFor } from './request-id.ts'
// Plain functions (no Node APIs once `write` is given): the same log lines as the Node server.
import { createLogger, loggablePath, type LogFormat, type Logger } from './node/log.ts'

/** Where a standalone server listens. */
export interface ListenAddress {
  readonly port: number
  readonly hostname: string
}

/** Default port of the standalone servers (`PORT`). */
export const DEFAULT_PORT = 3000
/** Default address of the standalone servers (`HOST`): every interface. */
export const DEFAULT_HOST = '0.0.0.0'

/**
 * The port and address to listen on: options first, then `PORT` and `HOST`, then 3000 on
 * every interface. Throws a {@link ConfigurationError} naming `PORT` when it is not a port.
 *
 * @example
 * listenAddress({ PORT: '8080' }, {}) // { port: 8080, hostname: '0.0.0.0' }
 */
export function listenAddress(env: EnvSource | undefined, options: { port?: number; host?: string } = {}): ListenAddress {
  const hostname = options.host ?? readEnv(env, 'HOST')?.trim() ?? DEFAULT_HOST
  if (options.port !== undefined) return { port: options.port, hostname }
  const text = readEnv(env, 'PORT')?.trim()
  if (text === undefined) return { port: DEFAULT_PORT, hostname }
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535) throw new ConfigurationError([`PORT must be a port number from 0 to 65535, got "${text}"`])
  return { port, hostname }
}

/**
 * The access logger a standalone server uses: `CLERK_PROXY_LOG` (`pretty`, `json`, `off`),
 * writing lines with `write`; `undefined` for `off`, so no per-request logging work is done at
 * all (counting a body's bytes costs a stream per response). Throws a
 * {@link ConfigurationError} for any other value.
 *
 * @example
 * const logger = standaloneLogger(Bun.env, (line) => console.log(line))
 */
export function standaloneLogger(env: EnvSource | undefined, write: (line: string) => void, format?: LogFormat): Logger | undefined {
  const chosen = format ?? readEnv(env, 'CLERK_PROXY_LOG')?.trim() ?? 'pretty'
  if (chosen !== 'pretty' && chosen !== 'json' && chosen !== 'off') {
    throw new ConfigurationError([`CLERK_PROXY_LOG must be one of pretty, json, off, got "${chosen}"`])
  }
  return chosen === 'off' ? undefined : createLogger(chosen, write)
}

/** What a standalone server records besides its log: metrics (when on) and readiness. */
export interface StandaloneOperations {
  /** The metrics to record each request in; `undefined` when metrics are off. */
  readonly metrics?: ProxyMetrics
  /** What `/readyz` answers; told whenever Clerk answers a proxied request. */
  readonly readiness?: Readiness
}

/** {@link StandaloneOperations} with what the metrics listener needs. */
export interface ResolvedOperations extends StandaloneOperations {
  readonly readiness: Readiness
  /** Where the metrics listener binds; `undefined` when metrics are off. */
  readonly metricsAddress: OperationsConfig['metrics']
  /** The current metrics in Prometheus' text format. */
  exposition(): string
}

/**
 * Readiness and (with `CLERK_PROXY_METRICS_PORT`) metrics for a Bun or Deno standalone server.
 * Throws a {@link ConfigurationError} naming a bad metrics variable.
 *
 * @example
 * const operations = standaloneOperations(config, { env: Bun.env }, { fetch: bunTransport.fetch, processFigures })
 */
export function standaloneOperations(
  config: ProxyConfig,
  options: { env?: EnvSource; metricsPort?: number; metricsHost?: string },
  sources: { readonly fetch: (url: string, init: RequestInit) => Promise<Response>; readonly processFigures?: () => ProcessFigures },
): ResolvedOperations {
  const { metrics: metricsAddress } = resolveOperationsConfig(options, 1)
  const readiness = createReadiness({ probe: fapiReachabilityProbe(config, sources.fetch) })
  const metrics = metricsAddress
    ? createProxyMetrics(config.proxyPath, { processFigures: sources.processFigures, ready: () => readiness.current().ready })
    : undefined
  return { metrics, readiness, metricsAddress, exposition: () => (metrics ? renderExposition(metrics.registry.snapshot()) : '') }
}

/**
 * The app a standalone server runs: `GET /healthz` and `GET /readyz` (outside the prefix), the
 * proxy, and a plain 404 for every other path; one access-log line per request when the body
 * has been sent (or the client went away), with its request id, which the response carries
 * as `X-Request-Id`. A response body that breaks off errors with a message that holds no URL
 * (runtimes print such errors).
 *
 * @example
 * const app = standaloneApp({ env, peerAddress }, resolveConfig({ env }), logger)
 * Bun.serve({ fetch: (request, server) => app.fetch(request, { server }) })
 */
export function standaloneApp(
  options: ClerkProxyOptions,
  config: ProxyConfig,
  logger?: Logger,
  bodyError: BodyErrorReason = defaultBodyError,
  operations: StandaloneOperations = {},
): Hono {
  const app = new Hono()
  const requestId = (c: Context): string => requestIdFor(c.req.header(REQUEST_ID_HEADER), options.peerAddress?.(c), config.trustProxy)
  app.use(accessLog(logger, bodyError, requestId, operations))
  if (config.proxyPath !== '') {
    app.get('/healthz', (c) => c.json({ status: 'ok' }))
    const readiness = operations.readiness
    if (readiness) app.get('/readyz', async () => readinessResponse(await readiness.check()))
  }
  // The handler itself, not a mounted sub-app: one dispatch less per request.
  app.use(clerkProxyHandler(options))
  app.notFound((c) => c.text('Not Found', 404))
  return app
}

/** Default bound on in-flight requests after SIGTERM/SIGINT (`CLERK_PROXY_SHUTDOWN_TIMEOUT`). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000

/** What {@link stopOnSignals} needs from a runtime. */
export interface SignalHooks {
  /** Subscribes to SIGTERM and SIGINT. */
  on(listener: (signal: string) => void): void
  /** Stops listening and resolves once in-flight requests are done. */
  drain(): Promise<void>
  /** Closes whatever is still open (called when the bound passes). */
  closeAll?(): void
  /** Ends the process. */
  exit(code: number): void
}

/**
 * Graceful shutdown, as the Node server does it: the first SIGTERM/SIGINT stops accepting
 * connections and lets in-flight requests finish for up to `timeoutMs`, then exits 0; a second
 * signal exits 1 at once. Logs "shutting down" and "stopped".
 *
 * @example
 * stopOnSignals({ on, drain: () => server.stop(), exit: process.exit }, 10_000, logger)
 */
export function stopOnSignals(hooks: SignalHooks, timeoutMs: number, logger?: Logger): void {
  let stopping = false
  hooks.on((signal) => {
    if (stopping) {
      logger?.info('second signal, exiting now', { signal })
      return hooks.exit(1)
    }
    stopping = true
    logger?.info('shutting down, finishing in-flight requests', { signal })
    let timer: ReturnType<typeof setTimeout> | undefined
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        hooks.closeAll?.()
        resolve()
      }, timeoutMs)
    })
    void Promise.race([hooks.drain().catch(() => {}), bound]).then(() => {
      clearTimeout(timer)
      logger?.info('stopped')
      hooks.exit(0)
    })
  })
}

/**
 * The start-up notice: where the server listens and what it proxies to. It never contains
 * the secret key.
 *
 * @example
 * console.log(startupNotice('bun', 'http://0.0.0.0:3000', config))
 */
export function startupNotice(runtime: string, url: string, config: ProxyConfig, metricsUrl?: string): string {
  const trust =
    config.trustProxy.kind === 'none' ? 'none' : config.trustProxy.kind === 'hops' ? `${config.trustProxy.hops} hop(s)` : config.trustProxy.description
  return [
    `clerk-proxy (${runtime}) listening on ${url}`,
    `  prefix:    ${config.proxyPath || '/'}`,
    `  fapi:      ${config.fapiOrigin}${config.fapiBasePath}`,
    `  proxyUrl:  ${config.proxyUrl ?? '(derived per request from the Host header; set CLERK_PROXY_URL in production)'}`,
    `  trustProxy: ${trust}`,
    `  timeoutMs: ${config.timeoutMs}`,
    ...(metricsUrl ? [`  metrics:   ${metricsUrl}/metrics`] : []),
  ].join('\n')
}

/**
 * Prints that the server started: the {@link startupNotice} lines, or with
 * `CLERK_PROXY_LOG=json` one JSON line through `logger` (so every line of the output parses).
 *
 * @example
 * announceStart('bun', running.url, running.config, Bun.env, running.logger, (line) => console.log(line))
 */
export function announceStart(
  runtime: string,
  url: string,
  config: ProxyConfig,
  env: EnvSource | undefined,
  logger: Logger | undefined,
  write: (line: string) => void,
  metricsUrl?: string,
): void {
  if (readEnv(env, 'CLERK_PROXY_LOG')?.trim() !== 'json') return write(startupNotice(runtime, url, config, metricsUrl))
  logger?.info(`clerk-proxy listening on ${url} (${runtime})`, {
    prefix: config.proxyPath || '/',
    fapi: config.fapiOrigin + config.fapiBasePath,
    proxyUrl: config.proxyUrl ?? '(derived per request from the Host header; set CLERK_PROXY_URL in production)',
    timeoutMs: config.timeoutMs,
    ...(metricsUrl ? { metrics: `${metricsUrl}/metrics` } : {}),
  })
}

/**
 * The message to print when a standalone server cannot start because of its configuration,
 * or `undefined` for any other error (which the caller rethrows).
 *
 * @example
 * const message = startupFailure(error)
 * if (message) { console.error(message); exit(1) }
 */
export function startupFailure(error: unknown): string | undefined {
  if (error instanceof ConfigurationError) {
    return `clerk-proxy: ${error.message}\nSet these in the environment (the same variables as the clerk-proxy CLI).`
  }
  const code = (error as { code?: unknown } | null)?.code
  const name = (error as { name?: unknown } | null)?.name
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || name === 'AddrInUse' || name === 'PermissionDenied') {
    return `clerk-proxy: cannot listen: ${(error as Error).message}`
  }
  return undefined
}

/**
 * What a broken-off response body is errored with, given what to say about it. The runtime
 * prints that value: the default is an `Error` with only `message`; an adapter can log the
 * message itself and return a value its runtime prints as nothing (Bun: `undefined`), or
 * return the formatted log line (Deno prints a string reason as is).
 */
export type BodyErrorReason = (message: string, fields: Readonly<Record<string, string>>) => unknown

const defaultBodyError: BodyErrorReason = (message) => new Error(`clerk-proxy: ${message}`)

/** The message for a response body that broke off (the upstream reset or stalled). */
export const BODY_BROKE_OFF = 'the upstream response body broke off'

/**
 * Logs each request once its body has been sent or the client went away, and replaces an
 * error inside a response body (the upstream broke off mid-body) with one that says only
 * that: the runtime prints such errors, and the original carries the upstream URL and query.
 */
function accessLog(
  logger: Logger | undefined,
  bodyError: BodyErrorReason,
  requestIdOf: (c: Context) => string,
  { metrics, readiness }: StandaloneOperations,
): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now()
    metrics?.requestStarted()
    const requestId = requestIdOf(c)
    await next()
    const method = c.req.method
    const path = loggablePath(c.req.url)
    const status = c.res.status
    const upstreamMs = upstreamHeadersMs(c.req.raw)
    const errorCode = proxyErrorCodeOf(c.res)
    if (upstreamMs !== undefined && errorCode === undefined) readiness?.upstreamAnswered()
    withHeader(c, REQUEST_ID_HEADER, requestId)
    const log = (bytes: number, aborted: boolean): void => {
      const totalMs = performance.now() - started
      logger?.access({ method, path, status, upstreamMs, totalMs, bytes, aborted, requestId })
      metrics?.requestFinished({ method, path, status, upstreamMs, totalMs, bytesIn: Number(c.req.header('content-length')) || 0, bytesOut: bytes, errorCode, aborted })
    }
    const body = c.res.body
    if (body === null) return log(0, false)
    // Small answers were read whole before they were sent (see isSmallBody): they cannot break
    // off and hold no upstream connection, so without a logger there is nothing to count or
    // guard, and the runtime can send the buffer natively.
    const declared = c.res.headers.get('content-length')
    if (!logger && declared !== null && Number(declared) <= BUFFERED_BODY_LIMIT) return void (metrics && log(Number(declared), false))
    let bytes = 0
    let logged = false
    const once = (aborted: boolean): void => {
      if (logged) return
      logged = true
      log(bytes, aborted)
    }
    const reader = body.getReader()
    const counted = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let result: { done: true; value?: undefined } | { done: false; value: Uint8Array }
        try {
          result = (await reader.read()) as typeof result
        } catch {
          once(true)
          return controller.error(bodyError(BODY_BROKE_OFF, { method, path }))
        }
        if (result.done) {
          once(false)
          return controller.close()
        }
        bytes += result.value.byteLength
        controller.enqueue(result.value)
      },
      cancel(reason) {
        once(true)
        return reader.cancel(reason).catch(() => {})
      },
    })
    // A client gone mid-response: let go of the upstream body too. Deno does not always cancel
    // a response body it has stopped sending, which would leave the upstream connection open.
    c.req.raw.signal.addEventListener(
      'abort',
      () => {
        once(true)
        reader.cancel().catch(() => {})
      },
      { once: true },
    )
    c.res = new Response(counted, c.res)
  }
}

/** Sets a response header, copying the response first when its headers are immutable. */
function withHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value)
  } catch {
    const copy = new Response(c.res.body, c.res)
    copy.headers.set(name, value)
    c.res = copy
  }
}
