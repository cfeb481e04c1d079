import type { Hono } from 'hono'
import { clerkProxy, type ClerkProxyOptions } from './app.ts'
import { clientIpFromForwardedChain, resolveClientIp } from './client-ip.ts'
import type { EnvSource } from './config/env.ts'
import { assertInAppPrefix, resolveConfig, type ProxyConfig } from './config/proxy.ts'
import { ConfigurationError } from './errors.ts'
import { pathAfterPrefix, splitRequestUrl } from './upstream-url.ts'

/**
 * Options for frameworks that hand the proxy a web `Request` (React Router, Astro, SvelteKit,
 * TanStack Start, Elysia): the proxy's options plus where the end-user IP comes from.
 */
export interface RequestProxyOptions extends Omit<ClerkProxyOptions, 'peerAddress' | 'clientAddress' | 'readHeader' | 'rawTarget' | 'forward'> {
  /**
   * The end-user IP for a request, replacing the default: the peer address the adapter passes
   * (SvelteKit's `getClientAddress()`, Bun's `requestIP()`) with `TRUST_PROXY` on top, else the
   * `X-Forwarded-For` chain the server in front wrote, counted from its rightmost entry with
   * `TRUST_PROXY` (unset or `1`: that entry).
   */
  clientIp?: (request: Request) => string | undefined
}

/**
 * Answers a request under the prefix; resolves to `undefined` for every other path. Where the
 * framework knows the connecting peer for certain (SvelteKit's `getClientAddress()` on
 * adapter-node, Bun's `requestIP()`), pass it: `TRUST_PROXY` then applies to it as on the Node
 * server. (Astro's `clientAddress` does not qualify: it is the leftmost `X-Forwarded-For` entry.)
 */
export type RequestProxy = ((request: Request, peerAddress?: string) => Promise<Response | undefined>) & {
  /** True when the request's path is under the prefix (so the proxy answers it). */
  handles(request: Request): boolean
}

const PASS_HEADER = 'x-clerk-proxy-pass'

interface RequestBindings {
  readonly peerAddress: string | undefined
}

/**
 * The proxy for a framework's request handlers, built on first use so the environment is read
 * when the server runs, not when the app is built. A bad setting answers
 * `500 proxy_configuration_error` naming the variable.
 *
 * @example
 * const proxy = requestProxy({ proxyUrl: 'https://app.example.com/__clerk' })
 * const response = (await proxy(request)) ?? (await renderTheApp(request))
 */
export function requestProxy(options: RequestProxyOptions = {}): RequestProxy {
  let app: Hono | undefined
  let prefix: string | undefined
  const proxy = async (request: Request, peerAddress?: string): Promise<Response | undefined> => {
    if (!app) {
      const { clientIp, ...rest } = options
      const env = options.env ?? runtimeEnv()
      refuseRootPrefix({ ...options, env })
      app = clerkProxy({
        ...rest,
        env,
        clientAddress: (c, config) => {
          if (clientIp) return clientIp(c.req.raw)
          const forwardedFor = c.req.header('x-forwarded-for')
          const peer = (c.env as RequestBindings | undefined)?.peerAddress
          if (peer === undefined) return clientIpFromForwardedChain(forwardedFor, config.trustProxy)
          return resolveClientIp(peer, forwardedFor, config.trustProxy)
        },
      })
      app.notFound((c) => c.body(null, 404, { [PASS_HEADER]: '1' }))
    }
    const bindings: RequestBindings = { peerAddress }
    const response = await app.fetch(request, bindings)
    return response.headers.has(PASS_HEADER) ? undefined : response
  }
  const handles = (request: Request): boolean => {
    // As the proxy itself decides: the configured prefix, or the default when the configuration is invalid.
    prefix ??= proxyPathOf({ ...options, env: options.env ?? runtimeEnv() })
    const path = splitRequestUrl(request.url).path
    return pathAfterPrefix(path, prefix) !== undefined
  }
  return Object.assign(proxy, { handles })
}

function proxyPathOf(options: RequestProxyOptions): string {
  try {
    return resolveConfig(options).proxyPath
  } catch (error) {
    if (error instanceof ConfigurationError) return options.proxyPath ?? '/__clerk'
    throw error
  }
}

/** Refuses `/` as the prefix; other configuration problems are answered per request. */
function refuseRootPrefix(options: RequestProxyOptions): void {
  let config: ProxyConfig
  try {
    config = resolveConfig(options)
  } catch (error) {
    if (error instanceof ConfigurationError) return
    throw error
  }
  assertInAppPrefix(config, options)
}

/** `process.env` where the runtime has one, read per variable so late assignments count. */
function runtimeEnv(): EnvSource {
  return (name) => (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name]
}

/**
 * Wraps a framework middleware whose first argument carries the `request` (React Router's
 * args, Astro's context) so it never runs for the proxy prefix: those requests go straight to
 * `next()`, on to the proxy's route. Clerk's own requests, the handshake included, must not
 * meet Clerk's authentication.
 *
 * @example
 * export const middleware = [skipProxyPrefix(clerkMiddleware())]
 */
export function skipProxyPrefix<Input extends { readonly request: Request }, Next extends () => unknown, Result>(
  middleware: (input: Input, next: Next) => Result,
  options: RequestProxyOptions = {},
): (input: Input, next: Next) => Result | ReturnType<Next> {
  const proxy = requestProxy(options)
  return (input, next) => (proxy.handles(input.request) ? (next() as ReturnType<Next>) : middleware(input, next))
}
