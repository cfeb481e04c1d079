/**
 * Small pieces the platform adapters share: the client IP from a header the platform itself
 * sets, and building the proxy on first use (so importing an adapter reads no environment).
 */
import type { Context } from 'hono'

/**
 * Reads the client IP from a request header that the platform overwrites on every request
 * (Vercel's `x-real-ip`, Cloudflare's `CF-Connecting-IP`), so a client cannot choose it.
 *
 * @example
 * clerkProxy({ peerAddress: platformIpHeader('cf-connecting-ip') })
 */
export function platformIpHeader(name: string): (c: Context) => string | undefined {
  return (c) => c.req.header(name)?.trim() || undefined
}

/**
 * Builds a value on first use and keeps it: platform entrypoints create the proxy when the
 * first request arrives, after the platform has provided the environment.
 *
 * @example
 * const app = onFirstUse(() => clerkProxy({ env: process.env }))
 * export default (request: Request) => app().fetch(request)
 */
export function onFirstUse<T>(build: () => T): () => T {
  let built: { value: T } | undefined
  return () => (built ??= { value: build() }).value
}
