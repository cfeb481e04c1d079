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
  const configFor = configResolver(options, config)
  const forward = options.forward ?? fetchForwarder(options.transport ?? defaultTransport)
  const readHeader = options.readHeader ?? ((c: Context, name: string) => c.req.header(name))
  const peerAddress = options.peerAddress ?? (() => undefined)

  return async (c, next) => {
    const resolved = configFor(c)
    const config = resolved instanceof ConfigurationError ? undefined : resolved
    const target = splitRequestUrl(c.req.url)
    const rest = pathAfterPrefix(target.path, config?.proxyPath ?? options.proxyPath ?? '/__clerk')
    if (rest === undefined) return next()
    if (config === undefined) {
      const problems = (resolved as ConfigurationError).problems.join('; ')
      return proxyErrorResponse(500, 'proxy_configuration_error', 'The Clerk proxy is misconfigured', problems)
    }
    if (METHODS_REFUSED.has(c.req.method)) {
      const response = proxyErrorResponse(405, 'proxy_method_not_allowed', `${c.req.method} is not allowed`, `The Clerk proxy does not forward ${c.req.method} requests.`)
      response.headers.set('allow', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS')
      return response
    }
    const header: HeaderReader = (name) => readHeader(c, name)
    const refused = refuseRequest(rest, header, config)
    if (refused) return refused
    const peer = peerAddress(c)
    const proxyUrl = publicProxyUrl(config, target.origin, header, peer)
    const clientIp = options.clientAddress
      ? options.clientAddress(c, config)
      : config.trustProxy.kind === 'none'
        ? resolveClientIp(peer, undefined, config.trustProxy)
        : resolveClientIp(peer, header('x-forwarded-for'), config.trustProxy)
    const query = rawQuery(options.rawTarget?.(c)) ?? target.query
    // Anything thrown (a request the runtime cannot represent, a bug) answers in Clerk's shape;
    // Hono's default handler would print the error, whose message can hold the URL and query.
    return forward(c, { url: upstreamUrl(config, rest, query), proxyUrl, clientIp }, config).catch(internalErrorResponse)
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

function fetchForwarder(transport: FetchTransport): Forwarder {
  return async (c, route, config) => forwardWithFetch(c.req.raw, route, config, transport)
}

/**
 * Resolves the configuration once (or once per env object, for per-request platforms); a
 * server that resolved it already hands it over as `resolved`.
 */
function configResolver(options: ClerkProxyOptions, resolved?: ProxyConfig): (c: Context) => ProxyConfig | ConfigurationError {
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
  return (c) => {
    const env = contextEnv(c)
    if (typeof env !== 'object' || env === null) return attempt(env)
    let config = cache.get(env)
    if (!config) cache.set(env, (config = attempt(env)))
    return config
  }
}
