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
export type { NextClientIpSource } from './client-ip.ts'
export { clerkProxyMiddleware, withClerkProxy } from './middleware.ts'
export type { NextProxyOptions } from './lazy-proxy.ts'
export { clerkProxyRoute, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, type ProxyRouteHandlers, type RouteHandler } from './route.ts'
