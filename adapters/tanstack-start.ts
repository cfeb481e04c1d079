/**
 * The proxy inside a TanStack Start app: a request middleware that answers `<prefix>/*` before
 * `@clerk/tanstack-react-start`'s `clerkMiddleware()` (list it first), or the handlers of a
 * server route for apps without a global Clerk middleware.
 *
 * @example
 * // src/start.ts
 * import { clerkMiddleware } from '@clerk/tanstack-react-start/server'
 * import { createMiddleware, createStart } from '@tanstack/react-start'
 * import { clerkProxyMiddleware } from '@fapi-proxy/clerk/tanstack-start'
 *
 * const clerkProxy = createMiddleware().server(clerkProxyMiddleware())
 * export const startInstance = createStart(() => ({ requestMiddleware: [clerkProxy, clerkMiddleware()] }))
 *
 * @module
 */
import { requestProxy, type RequestProxyOptions } from '../src/request-proxy.ts'

export type { RequestProxyOptions } from '../src/request-proxy.ts'

/** What TanStack Start hands a request middleware's `.server()` function (only these are used). */
export interface RequestMiddlewareArgs<Result> {
  /** The incoming request. */
  readonly request: Request
  /** Runs the rest of the chain. */
  readonly next: () => Promise<Result>
}

/** A server route handler. */
export type ServerRouteHandler = (context: { readonly request: Request }) => Promise<Response>

/** The server route's handlers, one per method Clerk's clients use. */
export interface ProxyServerHandlers {
  /** Scripts, `/v1/environment`, the handshake and OAuth navigations. */
  GET: ServerRouteHandler
  /** Sign-in posts and token requests. */
  POST: ServerRouteHandler
  /** Forwarded like every method Clerk's clients may use. */
  PUT: ServerRouteHandler
  /** Forwarded like every method Clerk's clients may use. */
  PATCH: ServerRouteHandler
  /** Forwarded like every method Clerk's clients may use; a body is streamed too. */
  DELETE: ServerRouteHandler
  /** CORS preflights, answered by Clerk. */
  OPTIONS: ServerRouteHandler
  /** Forwarded as `HEAD`. */
  HEAD: ServerRouteHandler
}

/**
 * Creates the function for `createMiddleware().server(…)`: the prefix is answered by the proxy,
 * every other request goes to `next()`. Options mirror the environment variables, read from
 * `process.env` when the first request arrives. The end-user IP is the `X-Forwarded-For` chain
 * counted from the right with `TRUST_PROXY`: run the server behind a reverse proxy that sets it.
 *
 * @example
 * const clerkProxy = createMiddleware().server(clerkProxyMiddleware({ proxyUrl: 'https://app.example.com/__clerk' }))
 */
export function clerkProxyMiddleware<Result>(options: RequestProxyOptions = {}): (args: RequestMiddlewareArgs<Result>) => Promise<Response | Result> {
  const proxy = requestProxy(options)
  return async ({ request, next }) => (proxy.handles(request) && (await proxy(request))) || next()
}

/**
 * Creates the handlers for a server route at the prefix (`src/routes/[__clerk]/$.ts`: the
 * brackets keep TanStack Router from reading `_` as a pathless layout).
 *
 * @example
 * export const Route = createFileRoute('/__clerk/$')({ server: { handlers: clerkProxyHandlers() } })
 */
export function clerkProxyHandlers(options: RequestProxyOptions = {}): ProxyServerHandlers {
  const proxy = requestProxy(options)
  const handler: ServerRouteHandler = async ({ request }) =>
    (await proxy(request)) ?? new Response('Not Found: this route is outside the Clerk proxy prefix (CLERK_PROXY_PATH)', { status: 404 })
  return { GET: handler, POST: handler, PUT: handler, PATCH: handler, DELETE: handler, OPTIONS: handler, HEAD: handler }
}
