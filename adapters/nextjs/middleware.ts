/** The proxy in Next.js middleware (`middleware.ts`, or `proxy.ts` on Next.js 16), ahead of `clerkMiddleware()`. */
import { readEnv } from '../../src/config/env.ts'
import { lazyProxy, PASS_HEADER, type NextProxyOptions } from './lazy-proxy.ts'
import { nextEnv, withSelfRewriteAsNext } from './request.ts'

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
 * Its same-app rewrites are kept working under `next start -H 127.0.0.1` (see `docs/nextjs.md`).
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
    return withSelfRewriteAsNext(await middleware(request, ...rest), request.url, readEnv(nextEnv(undefined), '__NEXT_PRIVATE_ORIGIN'))
  }
}
