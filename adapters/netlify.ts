/**
 * The Netlify Edge adapter: an Edge Function `(request, context)`. The environment comes from
 * `Netlify.env` (read on the first request); the client IP from `context.ip`, which Netlify
 * takes from the connection. `TRUST_PROXY` does not apply here: the platform names the client.
 * A request outside the prefix (when `config.path` is wider) goes on to the site with
 * `context.next()`.
 *
 * @example
 * // netlify/edge-functions/clerk-proxy.ts
 * export { default } from '@fapi-proxy/clerk/netlify'
 * export const config = { path: ['/__clerk', '/__clerk/*'] }
 *
 * @module
 */
import { Hono } from 'hono'
import { clerkProxy } from '../src/app.ts'
import { onFirstUse } from '../src/platform.ts'

// Minimal local types for the Netlify globals used here (no global augmentation: JSR rejects it).
/** The part of Netlify's edge `Context` the proxy uses. */
export interface NetlifyContext {
  /** The client's IP address, as Netlify's edge saw the connection. */
  readonly ip: string
  /** Passes the request on to the rest of the site. */
  next(): Promise<Response>
}
declare const Netlify: { readonly env: { get(name: string): string | undefined } }

const proxyForNetlify = onFirstUse(() => {
  const app = new Hono<{ Bindings: { context: NetlifyContext } }>()
  app.route(
    '/',
    clerkProxy({
      env: (name) => Netlify.env.get(name),
      peerAddress: (c) => (c.env as { context?: NetlifyContext } | undefined)?.context?.ip,
      trustProxy: false,
    }),
  )
  app.notFound((c) => c.env.context.next())
  return app
})

/**
 * The Edge Function. The configuration is validated on the first request; a bad one answers
 * `500 proxy_configuration_error` naming the variable.
 *
 * @example
 * // netlify/edge-functions/clerk-proxy.ts
 * export { default } from '@fapi-proxy/clerk/netlify'
 * export const config = { path: ['/__clerk', '/__clerk/*'] }
 */
export default async function handler(request: Request, context: NetlifyContext): Promise<Response> {
  return proxyForNetlify().fetch(request, { context })
}

/** Netlify's in-source configuration: the paths this Edge Function runs on. */
export const config: { readonly path: readonly string[] } = { path: ['/__clerk', '/__clerk/*'] }
