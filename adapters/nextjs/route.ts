/** Route handlers for an App Router catch-all route (`app/__clerk/[[...path]]/route.ts`). */
import { lazyProxy, PASS_HEADER, type NextProxyOptions } from './lazy-proxy.ts'

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
