/**
 * The proxy inside a React Router app (framework mode): a resource route whose `loader` and
 * `action` forward `<prefix>/*` to Clerk, and a wrapper that keeps `@clerk/react-router`'s
 * `clerkMiddleware()` off that prefix.
 *
 * @example
 * // app/routes.ts
 * import { type RouteConfig, index, route } from '@react-router/dev/routes'
 * export default [index('routes/home.tsx'), route('__clerk/*', 'routes/clerk-proxy.ts')] satisfies RouteConfig
 *
 * // app/routes/clerk-proxy.ts
 * import { clerkProxyRoute } from '@fapi-proxy/clerk/react-router'
 * export const { loader, action } = clerkProxyRoute()
 *
 * // app/root.tsx
 * import { clerkMiddleware, rootAuthLoader } from '@clerk/react-router/server'
 * import { withClerkProxy } from '@fapi-proxy/clerk/react-router'
 * export const middleware = [withClerkProxy(clerkMiddleware())]
 * export const loader = (args) => rootAuthLoader(args)
 *
 * @module
 */
import { requestProxy, skipProxyPrefix, type RequestProxyOptions } from '../src/request-proxy.ts'

export type { RequestProxyOptions } from '../src/request-proxy.ts'

/** What React Router hands a loader, an action and a middleware (only the request is used). */
export interface RouteArgs {
  /** The incoming request. */
  request: Request
}

/** The resource route's exports. */
export interface ProxyRoute {
  /** GET and HEAD requests: scripts, `/v1/environment`, the handshake and OAuth navigations. */
  loader: (args: RouteArgs) => Promise<Response>
  /** Every other method: sign-in posts, token requests, `DELETE`s with a body. */
  action: (args: RouteArgs) => Promise<Response>
}

/**
 * Creates the resource route's `loader` and `action`. Options mirror the environment variables
 * (`CLERK_SECRET_KEY`, `CLERK_PROXY_URL`, …), read from `process.env` when the first request
 * arrives. The end-user IP is the `X-Forwarded-For` chain with `TRUST_PROXY` unless `clientIp`
 * says otherwise: run the server behind a reverse proxy that sets that header.
 *
 * @example
 * export const { loader, action } = clerkProxyRoute({ proxyUrl: 'https://app.example.com/__clerk' })
 */
export function clerkProxyRoute(options: RequestProxyOptions = {}): ProxyRoute {
  const proxy = requestProxy(options)
  const handle = async ({ request }: RouteArgs): Promise<Response> =>
    (await proxy(request)) ?? new Response('Not Found: this route is outside the Clerk proxy prefix (CLERK_PROXY_PATH)', { status: 404 })
  return { loader: handle, action: handle }
}

/**
 * Wraps a React Router middleware (usually `clerkMiddleware()`) so it never runs for the
 * proxy prefix: Clerk's own requests, the handshake included, must not meet authentication.
 * Pass the same prefix options as to {@link clerkProxyRoute}, if any.
 *
 * @example
 * export const middleware = [withClerkProxy(clerkMiddleware())]
 */
export function withClerkProxy<Args extends RouteArgs, Next extends () => unknown, Result>(
  middleware: (args: Args, next: Next) => Result,
  options: RequestProxyOptions = {},
): (args: Args, next: Next) => Result | ReturnType<Next> {
  return skipProxyPrefix(middleware, options)
}

const defaults: ProxyRoute = clerkProxyRoute()

/**
 * A ready-made `loader` reading the environment; re-export it (with {@link action}) from the
 * resource route. React Router removes server exports from the browser bundle, which it can
 * do for re-exports and plain `export const`s but not for destructured ones.
 *
 * @example
 * // app/routes/clerk-proxy.ts
 * export { loader, action } from '@fapi-proxy/clerk/react-router'
 */
export const loader: ProxyRoute['loader'] = defaults.loader
/** The ready-made `action`; see {@link loader}. */
export const action: ProxyRoute['action'] = defaults.action
