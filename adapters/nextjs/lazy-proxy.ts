/**
 * The proxy as Next.js runs it: built on first use (the environment is read at run time, not
 * during `next build`), with Next.js's own environment names, client IP and request quirks.
 */
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

/** The header on the 404 the proxy answers outside its prefix, so the helpers can pass the request on. */
export const PASS_HEADER = 'x-clerk-proxy-pass'

/**
 * The proxy for Next.js, built on first use. Paths outside the prefix answer 404 with
 * {@link PASS_HEADER}.
 *
 * @example
 * const proxy = lazyProxy({})
 * const response = await proxy(request)
 */
export function lazyProxy(options: NextProxyOptions): (request: Request) => Promise<Response> {
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
