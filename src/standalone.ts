/**
 * What the standalone servers on Bun and Deno share: where to listen, the app they serve
 * (`/healthz` plus the proxy, 404 elsewhere) and the lines they print at start-up. No
 * platform globals here: each adapter passes its own environment in.
 */
import { Hono, type MiddlewareHandler } from 'hono'
import { clerkProxyHandler, type ClerkProxyOptions } from './app.ts'
import { readEnv, type EnvSource, type ProxyConfig } from './config.ts'
import { ConfigurationError } from './errors.ts'
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

/**
 * The app a standalone server runs: `GET /healthz` (outside the prefix), the proxy, and a
 * plain 404 for every other path; one access-log line per request when the body has been
 * sent (or the client went away).
 *
 * @example
 * const app = standaloneApp({ env, peerAddress }, resolveConfig({ env }), logger)
 * Bun.serve({ fetch: (request, server) => app.fetch(request, { server }) })
 */
export function standaloneApp(options: ClerkProxyOptions, config: ProxyConfig, logger?: Logger): Hono {
  const app = new Hono()
  if (logger) app.use(accessLog(logger))
  if (config.proxyPath !== '') app.get('/healthz', (c) => c.json({ status: 'ok' }))
  // The handler itself, not a mounted sub-app: one dispatch less per request.
  app.use(clerkProxyHandler(options))
  app.notFound((c) => c.text('Not Found', 404))
  return app
}

/**
 * The start-up notice: where the server listens and what it proxies to. It never contains
 * the secret key.
 *
 * @example
 * console.log(startupNotice('bun', 'http://0.0.0.0:3000', config))
 */
export function startupNotice(runtime: string, url: string, config: ProxyConfig): string {
  const trust =
    config.trustProxy.kind === 'none' ? 'none' : config.trustProxy.kind === 'hops' ? `${config.trustProxy.hops} hop(s)` : config.trustProxy.description
  return [
    `clerk-proxy (${runtime}) listening on ${url}`,
    `  prefix:    ${config.proxyPath || '/'}`,
    `  fapi:      ${config.fapiOrigin}${config.fapiBasePath}`,
    `  proxyUrl:  ${config.proxyUrl ?? '(derived per request from the Host header; set CLERK_PROXY_URL in production)'}`,
    `  trustProxy: ${trust}`,
    `  timeoutMs: ${config.timeoutMs}`,
  ].join('\n')
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

/** Logs each request once its body has been sent or the client went away. */
function accessLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const method = c.req.method
    const path = loggablePath(c.req.url)
    const status = c.res.status
    const log = (bytes: number, aborted: boolean): void =>
      logger.access({ method, path, status, upstreamMs: undefined, totalMs: performance.now() - started, bytes, aborted })
    const body = c.res.body
    if (body === null) return log(0, false)
    let bytes = 0
    let logged = false
    const once = (aborted: boolean): void => {
      if (logged) return
      logged = true
      log(bytes, aborted)
    }
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.byteLength
          controller.enqueue(chunk)
        },
        flush: () => once(false),
      }),
    )
    c.req.raw.signal.addEventListener('abort', () => once(true), { once: true })
    c.res = new Response(counted, c.res)
  }
}
