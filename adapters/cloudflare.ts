/**
 * The Cloudflare Workers adapter: a module worker `{ fetch(request, env, ctx) }`. The
 * configuration comes from the `env` binding (`wrangler.toml` `[vars]` and secrets); the client
 * IP from `CF-Connecting-IP`, which Cloudflare sets on every request. The proxy always sets
 * `X-Forwarded-For` itself, and asks Clerk in the client's own `Accept-Encoding`, so assets
 * cross the wire compressed (docs/platforms.md#cloudflare-workers explains both).
 *
 * @example
 * // src/index.ts, with wrangler.toml `main = "src/index.ts"`
 * export { default } from '@fapi-proxy/clerk/cloudflare'
 *
 * @module
 */
import type { Context } from 'hono'
import { clerkProxy } from '../src/app.ts'
import type { EnvSource } from '../src/config/env.ts'
import type { ProxyConfig } from '../src/config/proxy.ts'
import { forwardWithFetch, type FetchTransport, type UpstreamRoute } from '../src/forward-fetch.ts'
import { platformIpHeader } from '../src/platform.ts'

export type { FetchTransport, ProxyConfig, UpstreamRoute }

/** The worker's `env`: `CLERK_SECRET_KEY` and the other variables as bindings. */
export type CloudflareEnv = Readonly<Record<string, unknown>>

/** The part of the Workers `ExecutionContext` the handler passes on. */
export interface CloudflareExecutionContext {
  /** Keeps the worker alive until `promise` settles. */
  waitUntil(promise: Promise<unknown>): void
  /** Lets the request through to the origin if the worker throws. */
  passThroughOnException(): void
}

/** The client IP as Cloudflare reports it. */
export const cloudflarePeerAddress: (c: Context) => string | undefined = platformIpHeader('cf-connecting-ip')

/** The part of Cloudflare's `request.cf` the proxy reads. */
interface CloudflareRequestProperties {
  /** The `Accept-Encoding` the client sent, before Cloudflare normalized the header. */
  readonly clientAcceptEncoding?: string
}

/**
 * Sends the upstream request with the client's own `Accept-Encoding`, so Clerk compresses only
 * in encodings the client accepts; the answer is passed on still encoded, labels intact.
 *
 * @example
 * clerkProxy({ contextEnv: (c) => c.env, forward: cloudflareForwarder })
 */
export function cloudflareForwarder(c: Context, route: UpstreamRoute, config: ProxyConfig): Promise<Response> {
  const request = c.req.raw
  const clientAccepts = (request as Request & { cf?: CloudflareRequestProperties }).cf?.clientAcceptEncoding
  const transport: FetchTransport = {
    fetch: (url, init) => {
      if (clientAccepts === undefined) return fetch(url, init)
      const headers = new Headers(init.headers)
      if (clientAccepts) headers.set('accept-encoding', clientAccepts)
      else headers.delete('accept-encoding')
      return fetch(url, { ...init, headers })
    },
    decodesBody: false,
    endsBrokenBodies: true,
  }
  return forwardWithFetch(request, route, config, transport)
}

const app = clerkProxy({
  // The binding object itself is the source: the configuration is validated once per `env` object, not per request.
  contextEnv: (c) => (c.env ?? {}) as EnvSource,
  peerAddress: cloudflarePeerAddress,
  forward: cloudflareForwarder,
  trustProxy: false,
})

/** A Workers module handler. */
export interface CloudflareWorker {
  /** Answers one request with the worker's `env` and execution context. */
  fetch(request: Request, env: CloudflareEnv, ctx: CloudflareExecutionContext): Promise<Response>
}

/**
 * The worker. The configuration is validated on the first request (per `env`); a bad one
 * answers `500 proxy_configuration_error` naming the variable.
 */
const worker: CloudflareWorker = {
  // Hono's own ExecutionContext type asks for more than the handler uses.
  fetch: async (request, env, ctx) => app.fetch(request, env, ctx as Parameters<typeof app.fetch>[2]),
}
export default worker
