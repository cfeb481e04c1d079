/** The Next.js route handlers and middleware helpers. */
import type { Context, Hono } from 'hono'
import { clerkProxy, type ClerkProxyOptions } from '../../src/app.ts'
import { clientAddressFor, type NextClientIpSource } from './client-ip.ts'
import { nextEnv, onEdgeRuntime, withHostOrigin, withoutCatchAllParams } from './request.ts'

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
