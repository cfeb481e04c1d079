/**
 * The proxy inside a Next.js app, on the Node.js and Edge runtimes (Web `Request`/`Response`
 * only): route handlers for an App Router catch-all route, and a middleware helper that
 * answers the prefix before `clerkMiddleware()` runs.
 *
 * @example
 * // app/__clerk/[[...path]]/route.ts
 * export { GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD } from '@fapi-proxy/clerk/nextjs'
 *
 * @module
 */
import type { Context, Hono } from 'hono'
import { clerkProxy, type ClerkProxyOptions } from '../src/app.ts'
import type { EnvSource } from '../src/config.ts'
import { clientIpFromForwardedChain } from '../src/forwarded-chain.ts'
import { TRUST_NONE } from '../src/client-ip.ts'
import { normalizeIp } from '../src/ip.ts'

/**
 * Where the end-user IP comes from:
 * - `'vercel'`: Vercel's `x-real-ip` (Vercel overwrites it and `x-forwarded-for`; a client
 *   cannot set them). The default when `VERCEL=1`.
 * - `'x-forwarded-for'`: the chain Next.js's own server (`next start`) hands over. It writes the
 *   socket address only when the request has no `X-Forwarded-For`, and keeps one it received
 *   as is, so the rightmost entry is the nearest peer's report and `TRUST_PROXY` counts from
 *   there (unset or `1`: that entry; `N`: the Nth from the right; addresses: the rightmost one
 *   not listed). The default elsewhere.
 * - a function of the request, for other hosts.
 */
export type NextClientIpSource = 'vercel' | 'x-forwarded-for' | ((request: Request) => string | undefined)

/** Options for the Next.js helpers; each mirrors an environment variable and wins over it. */
export interface NextProxyOptions extends Omit<ClerkProxyOptions, 'peerAddress' | 'clientAddress' | 'readHeader' | 'rawTarget'> {
  /** Where the end-user IP comes from; see {@link NextClientIpSource}. */
  clientIp?: NextClientIpSource
  /**
   * The catch-all segment's name in the route folder (`[[...path]]`, the default `'path'`).
   * The Edge runtime appends the segments to the query as `path=…` pairs; they are removed
   * again before the request goes to Clerk.
   */
  catchAllParam?: string
}

/** A route handler: what an App Router `route.ts` exports per method. */
export type RouteHandler = (request: Request) => Promise<Response>

/** The handlers for every method Clerk's clients use. */
export interface ProxyRouteHandlers {
  /** Scripts, `/v1/environment`, `/v1/client`, handshake and OAuth navigations. */
  GET: RouteHandler
  /** Sign-in, sign-up and token requests (clerk-js sends other verbs as `POST ?_method=`). */
  POST: RouteHandler
  /** Forwarded like every method Clerk's clients may use. */
  PUT: RouteHandler
  /** Forwarded like every method Clerk's clients may use. */
  PATCH: RouteHandler
  /** Forwarded like every method Clerk's clients may use; a body is streamed too. */
  DELETE: RouteHandler
  /** CORS preflights, answered by Clerk. */
  OPTIONS: RouteHandler
  /** Forwarded as `HEAD`; the answer has no body. */
  HEAD: RouteHandler
}

const PASS_HEADER = 'x-clerk-proxy-pass'

/**
 * The environment Next.js gives at run time, with the names a Next.js app already has as
 * fallbacks: `NEXT_PUBLIC_CLERK_PROXY_URL` (absolute: the proxy URL; relative: the prefix) and
 * `NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY`.
 */
function nextEnv(source: EnvSource | undefined): EnvSource {
  const read = (name: string): string | undefined => {
    if (source) return typeof source === 'function' ? source(name) : source[name]
    const process = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    return process?.env?.[name]
  }
  return (name) => {
    const own = read(name)
    if (own !== undefined && own !== '') return own
    const publicProxyUrl = read('NEXT_PUBLIC_CLERK_PROXY_URL')
    if (name === 'CLERK_PROXY_URL' && publicProxyUrl && /^https?:\/\//i.test(publicProxyUrl)) return publicProxyUrl
    if (name === 'CLERK_PROXY_PATH' && publicProxyUrl?.startsWith('/') && !read('CLERK_PROXY_URL')) return publicProxyUrl
    if (name === 'CLERK_PUBLISHABLE_KEY') return read('NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY')
    return own
  }
}

function clientAddressFor(source: NextClientIpSource | undefined, env: EnvSource): NonNullable<ClerkProxyOptions['clientAddress']> {
  const chosen = source ?? (readEnv(env, 'VERCEL') === '1' ? 'vercel' : 'x-forwarded-for')
  if (typeof chosen === 'function') return (c) => chosen(c.req.raw)
  if (chosen === 'vercel') {
    return (c) => {
      const real = c.req.header('x-real-ip')
      return (real && normalizeIp(real.trim())) || clientIpFromForwardedChain(c.req.header('x-forwarded-for'), TRUST_NONE)
    }
  }
  return (c, config) => clientIpFromForwardedChain(c.req.header('x-forwarded-for'), config.trustProxy)
}

function readEnv(env: EnvSource, name: string): string | undefined {
  return typeof env === 'function' ? env(name) : env[name]
}

/**
 * The request target without the `name=segment` pairs Next.js's Edge runtime appends for a
 * catch-all route (it renames its internal `nxtP<name>` params): only trailing pairs that
 * repeat the path's own last segments, in order, are removed, so a client's query is kept.
 * Returns `undefined` (use the URL as is) when there are none.
 */
function withoutCatchAllParams(url: string, name: string): string | undefined {
  const queryAt = url.indexOf('?')
  if (queryAt < 0) return undefined
  const pairs = url.slice(queryAt + 1).split('&')
  const segments = url.slice(url.indexOf('/', url.indexOf('//') + 2), queryAt).split('/')
  let n = 0
  while (n < pairs.length && n < segments.length) {
    const pair = pairs[pairs.length - 1 - n]!
    const segment = segments[segments.length - 1 - n]!
    if (segment === '' || pair !== new URLSearchParams([[name, safeDecode(segment)]]).toString()) break
    n++
  }
  if (n === 0) return undefined
  const kept = pairs.slice(0, pairs.length - n)
  return kept.length === 0 ? '/' : `/?${kept.join('&')}`
}

/** Next.js (and Vercel) define the global `EdgeRuntime` on the Edge runtime only. */
function onEdgeRuntime(): boolean {
  return typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === 'string'
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/**
 * The proxy for Next.js, built on first use so the environment is read at run time, not
 * during `next build`. Paths outside the prefix answer 404 with a marker header the
 * middleware helper uses to pass them on.
 */
function lazyProxy(options: NextProxyOptions): (request: Request) => Promise<Response> {
  let app: Hono | undefined
  return async (request) => {
    if (!app) {
      const env = nextEnv(options.env)
      const { clientIp, catchAllParam = 'path', ...rest } = options
      app = clerkProxy({
        ...rest,
        env,
        clientAddress: clientAddressFor(clientIp, env),
        rawTarget: onEdgeRuntime() ? (c) => withoutCatchAllParams(c.req.url, catchAllParam) : undefined,
      })
      app.notFound((c: Context) => c.body(null, 404, { [PASS_HEADER]: '1' }))
    }
    return app.fetch(withHostOrigin(request))
  }
}

const HOST_PATTERN = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i

/**
 * `next start` builds `request.url` from the address it listens on (`http://localhost:3000`),
 * not from the request, so a public proxy URL derived from it would be wrong. As the Node
 * adapter does, the derived origin uses the `Host` header instead (only when no proxy URL is
 * configured does it matter; on Vercel both already agree).
 */
function withHostOrigin(request: Request): Request {
  const host = request.headers.get('host')
  if (!host || !HOST_PATTERN.test(host)) return request
  const url = request.url
  const authorityStart = url.indexOf('//') + 2
  let authorityEnd = url.indexOf('/', authorityStart)
  if (authorityEnd < 0) authorityEnd = url.length
  if (url.slice(authorityStart, authorityEnd).toLowerCase() === host.toLowerCase()) return request
  const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers: request.headers, signal: request.signal, redirect: 'manual' }
  if (request.body !== null) {
    init.body = request.body
    init.duplex = 'half'
  }
  return new Request(url.slice(0, authorityStart) + host.toLowerCase() + url.slice(authorityEnd), init)
}

/**
 * Route handlers for `app/<prefix>/[[...path]]/route.ts`, for the Node.js and Edge runtimes.
 * Configuration comes from `options`, else the environment at run time.
 *
 * @example
 * // app/__clerk/[[...path]]/route.ts
 * import { clerkProxyRoute } from '@fapi-proxy/clerk/nextjs'
 * export const runtime = 'edge' // optional
 * export const { GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD } = clerkProxyRoute()
 */
export function clerkProxyRoute(options: NextProxyOptions = {}): ProxyRouteHandlers {
  const proxy = lazyProxy(options)
  const handler: RouteHandler = async (request) => {
    const response = await proxy(request)
    // A route file placed under another path than the prefix: say so rather than a bare 404.
    if (response.headers.has(PASS_HEADER)) return new Response('Not Found: this route is outside the Clerk proxy prefix (CLERK_PROXY_PATH)', { status: 404 })
    return response
  }
  return { GET: handler, POST: handler, PUT: handler, PATCH: handler, DELETE: handler, OPTIONS: handler, HEAD: handler }
}

const defaults: ProxyRouteHandlers = clerkProxyRoute()

/** Ready-made route handlers reading the environment; re-export them from your `route.ts`. */
export const GET: RouteHandler = defaults.GET
/** See {@link GET}. */
export const POST: RouteHandler = defaults.POST
/** See {@link GET}. */
export const PUT: RouteHandler = defaults.PUT
/** See {@link GET}. */
export const PATCH: RouteHandler = defaults.PATCH
/** See {@link GET}. */
export const DELETE: RouteHandler = defaults.DELETE
/** See {@link GET}. */
export const OPTIONS: RouteHandler = defaults.OPTIONS
/** See {@link GET}. */
export const HEAD: RouteHandler = defaults.HEAD

/**
 * For Next.js middleware (`middleware.ts`, or `proxy.ts` on Next.js 16): answers requests
 * under the prefix and resolves to `undefined` for every other path.
 *
 * @example
 * const proxy = clerkProxyMiddleware()
 * export default async function middleware(request: NextRequest) {
 *   return (await proxy(request)) ?? NextResponse.next()
 * }
 */
export function clerkProxyMiddleware(options: NextProxyOptions = {}): (request: Request) => Promise<Response | undefined> {
  const proxy = lazyProxy(options)
  return async (request) => {
    const response = await proxy(request)
    return response.headers.has(PASS_HEADER) ? undefined : response
  }
}

/**
 * Wraps a Next.js middleware (usually `clerkMiddleware()`) so the proxy answers its prefix
 * first and the wrapped middleware sees every other request. Add the prefix to `matcher`.
 *
 * @example
 * // middleware.ts (proxy.ts on Next.js 16)
 * import { clerkMiddleware } from '@clerk/nextjs/server'
 * import { withClerkProxy } from '@fapi-proxy/clerk/nextjs'
 * export default withClerkProxy(clerkMiddleware())
 * export const config = { matcher: ['/((?!_next|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)', '/(api|trpc)(.*)', '/__clerk/:path*'] }
 */
export function withClerkProxy<Req extends Request, Rest extends unknown[], Result>(
  middleware: (request: Req, ...rest: Rest) => Result,
  options: NextProxyOptions = {},
): (request: Req, ...rest: Rest) => Promise<Response | Awaited<Result>> {
  const proxy = clerkProxyMiddleware(options)
  return async (request: Req, ...rest: Rest): Promise<Response | Awaited<Result>> => {
    const answered = await proxy(request)
    if (answered) return answered
    return await middleware(request, ...rest)
  }
}
