import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { resolveClientIp } from './client-ip.ts'
import type { EnvSource } from './config/env.ts'
import { resolveConfig, type ProxyConfig, type ProxyConfigOptions } from './config/proxy.ts'
import { ConfigurationError, proxyErrorResponse } from './errors.ts'
import { forwardWithFetch, type FetchTransport, type UpstreamRoute } from './forward-fetch.ts'
import { publicProxyUrl, type HeaderReader } from './public-url.ts'
import { refuseRequest } from './request-limits.ts'
import { describeTransportError } from './upstream-error.ts'
import { pathAfterPrefix, splitRequestUrl, upstreamUrl } from './upstream-url.ts'

/** Sends a routed request upstream and returns the client's response. */
export type Forwarder = (c: Context, route: UpstreamRoute, config: ProxyConfig) => Promise<Response>

/** Options for {@link clerkProxy}: the configuration plus what a platform adapter supplies. */
export interface ClerkProxyOptions extends ProxyConfigOptions {
  /**
   * The address of the directly connected peer, as the platform reports it (the socket
   * address, `info.remoteAddr`, `context.ip`, …). `TRUST_PROXY` is applied on top of it.
   * Without it, no `X-Forwarded-For` is sent.
   */
  peerAddress?: (c: Context) => string | undefined
  /** The environment for platforms that hand it over per request (Cloudflare's `env`). */
  contextEnv?: (c: Context) => EnvSource
  /** The fetch used upstream and whether it decodes bodies; `globalThis.fetch` by default. */
  transport?: FetchTransport
  /** Replaces fetch forwarding altogether (the Node adapter streams natively). */
  forward?: Forwarder
  /** Reads a request header without building a `Headers` object (Node adapter). */
  readHeader?: (c: Context, name: string) => string | undefined
  /**
   * The raw request target (`/path?query`) as received, where the platform keeps it, so the
   * query reaches Clerk byte-for-byte (a parsed `request.url` re-encodes characters like `'`).
   */
  rawTarget?: (c: Context) => string | undefined
  /**
   * Replaces peer address + `TRUST_PROXY` resolution for platforms that expose only a
   * forwarded chain, not the socket (Next.js): returns the end-user IP to send.
   */
  clientAddress?: (c: Context, config: ProxyConfig) => string | undefined
}

const METHODS_REFUSED: ReadonlySet<string> = new Set(['TRACE', 'TRACK', 'CONNECT'])

const defaultTransport: FetchTransport = {
  fetch: (url, init) => fetch(url, init),
  decodesBody: true,
}

/**
 * Creates the proxy: a Hono app that forwards `<prefix>/*` to Clerk's Frontend API and calls
 * `next()` for every other path (so a bare app answers 404 and a mounted one falls through).
 * The configuration is validated once; when it is invalid, proxied paths answer
 * `500 proxy_configuration_error` naming the bad variables.
 *
 * @example
 * import { clerkProxy } from '@fapi-proxy/clerk'
 * const app = clerkProxy({ secretKey: 'sk_live_…', proxyUrl: 'https://app.example.com/__clerk' })
 * export default { fetch: app.fetch }
 */
export function clerkProxy(options: ClerkProxyOptions = {}): Hono {
  return new Hono().use(clerkProxyHandler(options))
}

/**
 * The proxy as one Hono middleware: answers `<prefix>/*` and calls `next()` for every other
 * path, so it can run inside an existing app (see `@fapi-proxy/clerk/hono`). A server that has
 * already resolved the configuration passes it as `config`, so it is not parsed again (it is
 * not used with `contextEnv`, where the configuration follows each request's environment).
 *
 * @example
 * app.use(clerkProxyHandler({ env: process.env }))
 */
export function clerkProxyHandler(options: ClerkProxyOptions = {}, config?: ProxyConfig): MiddlewareHandler {
  const respond = proxyResponder<Context>(options, (c) => c.req.raw, config)
  return async (c, next) => respond(c) ?? next()
}

/**
 * What the proxy reads about one request beyond the `Request` itself, on whatever the caller
 * holds per request (`Ctx`: a Hono `Context`, or a standalone server's own record). The same
 * hooks as {@link ClerkProxyOptions}, over that type.
 */
export interface RequestHooks<Ctx> {
  /** The connecting peer's address; `TRUST_PROXY` is applied on top of it. */
  readonly peerAddress?: (ctx: Ctx) => string | undefined
  /** The environment for platforms that hand it over per request. */
  readonly contextEnv?: (ctx: Ctx) => EnvSource
  /** Replaces fetch forwarding. */
  readonly forward?: (ctx: Ctx, route: UpstreamRoute, config: ProxyConfig) => Promise<Response>
  /** Reads a request header without building a `Headers` object. */
  readonly readHeader?: (ctx: Ctx, name: string) => string | undefined
  /** The raw request target (`/path?query`) as received. */
  readonly rawTarget?: (ctx: Ctx) => string | undefined
  /** Replaces peer address + `TRUST_PROXY` resolution with the end-user IP to send. */
  readonly clientAddress?: (ctx: Ctx, config: ProxyConfig) => string | undefined
}

/** The options of {@link proxyResponder}: the configuration, the transport and the request hooks. */
export type ProxyResponderOptions<Ctx> = ProxyConfigOptions &
  RequestHooks<Ctx> & {
    readonly transport?: FetchTransport
    /**
     * True when every request comes straight from the runtime's own HTTP server, which holds a
     * body to its declared `Content-Length` (Bun.serve): such a body then goes upstream as the
     * runtime's stream instead of through a counting JS stream (see `upstreamBody`).
     */
    readonly framedBodies?: boolean
  }

/**
 * The proxy as a plain function, without Hono's routing: the answer for a request under the
 * prefix, or `undefined` for any other path. `clerkProxyHandler` is this inside a Hono
 * middleware; a standalone server calls it directly (one routing and context less per request).
 *
 * @example
 * const respond = proxyResponder<Request>({ env: process.env }, (request) => request)
 * Bun.serve({ fetch: (request) => respond(request) ?? new Response('Not Found', { status: 404 }) })
 */
export function proxyResponder<Ctx>(options: ProxyResponderOptions<Ctx>, requestOf: (ctx: Ctx) => Request, config?: ProxyConfig): (ctx: Ctx) => Promise<Response> | undefined {
  const configFor = configResolver(options, config)
  const transport = options.transport ?? defaultTransport
  const forward = options.forward ?? ((ctx: Ctx, route: UpstreamRoute, config: ProxyConfig) => forwardWithFetch(requestOf(ctx), route, config, transport, options.framedBodies))
  const readHeader = options.readHeader ?? ((ctx: Ctx, name: string) => requestOf(ctx).headers.get(name) ?? undefined)
  const peerAddress = options.peerAddress ?? (() => undefined)
  const fallbackPrefix = options.proxyPath ?? '/__clerk'

  return (ctx) => {
    const request = requestOf(ctx)
    const resolved = configFor(ctx)
    const config = resolved instanceof ConfigurationError ? undefined : resolved
    const target = splitRequestUrl(request.url)
    const rest = pathAfterPrefix(target.path, config?.proxyPath ?? fallbackPrefix)
    if (rest === undefined) return undefined
    try {
      if (config === undefined) {
        const problems = (resolved as ConfigurationError).problems.join('; ')
        return Promise.resolve(proxyErrorResponse(500, 'proxy_configuration_error', 'The Clerk proxy is misconfigured', problems))
      }
      const method = request.method
      if (METHODS_REFUSED.has(method)) {
        const response = proxyErrorResponse(405, 'proxy_method_not_allowed', `${method} is not allowed`, `The Clerk proxy does not forward ${method} requests.`)
        response.headers.set('allow', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS')
        return Promise.resolve(response)
      }
      const header: HeaderReader = (name) => readHeader(ctx, name)
      const refused = refuseRequest(rest, header, config)
      if (refused) return Promise.resolve(refused)
      const peer = peerAddress(ctx)
      const proxyUrl = publicProxyUrl(config, target.origin, header, peer)
      const clientIp = options.clientAddress
        ? options.clientAddress(ctx, config)
        : config.trustProxy.kind === 'none'
          ? resolveClientIp(peer, undefined, config.trustProxy)
          : resolveClientIp(peer, header('x-forwarded-for'), config.trustProxy)
      const query = rawQuery(options.rawTarget?.(ctx)) ?? target.query
      // Anything thrown (a request the runtime cannot represent, a bug) answers in Clerk's shape;
      // Hono's default handler would print the error, whose message can hold the URL and query.
      return forward(ctx, { url: upstreamUrl(config, rest, query), proxyUrl, clientIp }, config).catch(internalErrorResponse)
    } catch (error) {
      return Promise.resolve(internalErrorResponse(error))
    }
  }
}

function internalErrorResponse(error: unknown): Response {
  return proxyErrorResponse(500, 'proxy_request_failed', 'Internal proxy error', `The Clerk proxy failed: ${describeTransportError(error)}.`)
}

function rawQuery(target: string | undefined): string | undefined {
  if (target === undefined) return undefined
  const start = target.indexOf('?')
  if (start < 0) return ''
  const hash = target.indexOf('#', start)
  return hash < 0 ? target.slice(start) : target.slice(start, hash)
}

/**
 * Resolves the configuration once (or once per env object, for per-request platforms); a
 * server that resolved it already hands it over as `resolved`.
 */
function configResolver<Ctx>(options: ProxyResponderOptions<Ctx>, resolved?: ProxyConfig): (ctx: Ctx) => ProxyConfig | ConfigurationError {
  const attempt = (env: EnvSource | undefined): ProxyConfig | ConfigurationError => {
    try {
      return resolveConfig({ ...options, env })
    } catch (error) {
      if (error instanceof ConfigurationError) return error
      throw error
    }
  }
  const contextEnv = options.contextEnv
  if (!contextEnv) {
    const once = resolved ?? attempt(options.env)
    return () => once
  }
  const cache = new WeakMap<object, ProxyConfig | ConfigurationError>()
  return (ctx) => {
    const env = contextEnv(ctx)
    if (typeof env !== 'object' || env === null) return attempt(env)
    let config = cache.get(env)
    if (!config) cache.set(env, (config = attempt(env)))
    return config
  }
}
