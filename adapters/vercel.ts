/**
 * The Vercel Edge adapter: an Edge Function handler `(request) => Response`. The environment
 * comes from `process.env` (read on the first request); the client IP from `x-real-ip`, which
 * Vercel's edge overwrites on every request (as it does `x-forwarded-for`), so a client cannot
 * choose it. `TRUST_PROXY` does not apply here: the platform already names the client.
 *
 * Use it as Routing Middleware (`middleware.ts` at the project root, any framework or none),
 * which sees the URL the browser asked for:
 *
 * @example
 * // middleware.ts
 * export { default } from '@fapi-proxy/clerk/vercel'
 * export const config = { matcher: ['/__clerk', '/__clerk/:path*'] }
 *
 * @module
 */
import type { Context } from 'hono'
import { clerkProxy } from '../src/app.ts'
import { onFirstUse, platformIpHeader } from '../src/platform.ts'

// Minimal local type for the one Node-style global Vercel's Edge runtime provides here.
declare const process: { readonly env: Record<string, string | undefined> }

/** The client IP as Vercel's edge reports it. */
export const vercelPeerAddress: (c: Context) => string | undefined = platformIpHeader('x-real-ip')

const proxyForVercel = onFirstUse(() =>
  clerkProxy({ env: (name) => process.env[name], peerAddress: vercelPeerAddress, trustProxy: false }),
)

/**
 * The Edge Function handler. The configuration is validated on the first request; a bad one
 * answers `500 proxy_configuration_error` naming the variable.
 *
 * @example
 * // middleware.ts
 * export { default } from '@fapi-proxy/clerk/vercel'
 * export const config = { matcher: ['/__clerk', '/__clerk/:path*'] }
 */
export default async function handler(request: Request): Promise<Response> {
  return proxyForVercel().fetch(request)
}

/** Vercel's function config for a standalone `api/` Edge Function file. */
export const config: { readonly runtime: 'edge' } = { runtime: 'edge' }
