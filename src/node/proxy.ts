import type { MiddlewareHandler } from 'hono'
import { clerkProxyHandler, type ClerkProxyOptions } from '../app.ts'
import type { ProxyConfig } from '../config/proxy.ts'
import type { UpstreamConnectivity } from '../readiness.ts'
import { nodeForwarder, nodePeerAddress, nodeRawTarget, readNodeHeader, type NodeForwarderHooks } from './forward.ts'

/** The proxy wired for `@hono/node-server`, and the upstream pool it owns. */
export interface NodeProxy extends UpstreamConnectivity {
  /** The proxy as a Hono middleware (answers the prefix, `next()` elsewhere). */
  readonly handler: MiddlewareHandler
  /** Closes the upstream connection pool. */
  close(): Promise<void>
  /** A `fetch` through the upstream pool for the probes (the forwarder's `fetch`). */
  fetch(url: string, init: RequestInit): Promise<Response>
}

/**
 * The proxy on Node, for the standalone server and the `(req, res, next)` middleware alike:
 * upstream through the undici pool, the client IP from the socket, headers and the raw
 * request target read from Node's request, unless the options give their own. The pool
 * connects to the Frontend API at once (`hooks.upstream`, pre-connecting unless it is off);
 * `hooks.connections` hears of every upstream connection opened or closed (metrics),
 * `hooks.notices` when the Frontend API cannot be reached.
 *
 * @example
 * const proxy = nodeProxy({ env: process.env }, resolveConfig({ env: process.env }))
 * app.use(proxy.handler)
 */
export function nodeProxy(options: ClerkProxyOptions, config: ProxyConfig, hooks: NodeForwarderHooks = {}): NodeProxy {
  const forward = nodeForwarder(hooks)
  forward.warm(config)
  const handler = clerkProxyHandler(
    {
      ...options,
      forward,
      peerAddress: options.peerAddress ?? nodePeerAddress,
      readHeader: options.readHeader ?? readNodeHeader,
      rawTarget: options.rawTarget ?? nodeRawTarget,
    },
    config,
  )
  return { handler, isConnected: () => forward.isConnected(), close: () => forward.close(), fetch: forward.fetch }
}
