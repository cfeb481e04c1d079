/**
 * A Clerk Frontend API proxy that runs unchanged on Node, Bun, Deno, Vercel Edge, Netlify Edge
 * and Cloudflare Workers.
 *
 * @example
 * import { clerkProxy } from '@fapi-proxy/clerk'
 *
 * const app = clerkProxy({ env: process.env })
 * export default { fetch: app.fetch }
 *
 * @module
 */
export { clerkProxy, type ClerkProxyOptions, type Forwarder } from './app.ts'
export type { EnvSource } from './config/env.ts'
export { resolveConfig, DEFAULT_TIMEOUT_MS, type ProxyConfig, type ProxyConfigOptions } from './config/proxy.ts'
export { ConfigurationError, proxyErrorResponse, type ClerkErrorBody, type ProxyErrorCode } from './errors.ts'
export { forwardWithFetch, type FetchTransport, type UpstreamRoute } from './forward-fetch.ts'
export { parseTrustProxy, resolveClientIp, isTrustedPeer, type TrustProxy } from './client-ip.ts'
export { fapiUrlFromPublishableKey, frontendApiHost, DEFAULT_FAPI_URL } from './fapi-url.ts'
export { publicProxyUrl, rewriteLocation, type HeaderReader } from './public-url.ts'
export type { AddressMatcher } from './ip.ts'
