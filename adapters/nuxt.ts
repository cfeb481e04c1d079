/**
 * The proxy inside a Nuxt (Nitro, Node presets) app: an h3 event handler for
 * `server/middleware/` that streams `<prefix>/*` to Clerk on the raw Node request and response
 * and returns nothing for every other request, so Nitro carries on.
 *
 * @example
 * // server/middleware/00.clerk-proxy.ts (before Clerk's middleware: Nitro runs them by file name)
 * import { clerkProxyEventHandler } from '@fapi-proxy/clerk/nuxt'
 * export default defineEventHandler(clerkProxyEventHandler())
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClerkProxyOptions } from '../src/app.ts'
import { nodeAppProxy } from '../src/node/middleware.ts'

export type { ClerkProxyOptions } from '../src/app.ts'

/** The part of an h3 `H3Event` the handler uses (written out: `h3` is an optional peer). */
export interface NodeH3Event {
  /** The raw Node request and response (Nitro's Node presets). */
  readonly node: { readonly req: IncomingMessage; readonly res: ServerResponse }
}

/** The handler, resolving once a proxied response is finished (and to nothing otherwise). */
export type ClerkProxyEventHandler = ((event: NodeH3Event) => Promise<void>) & {
  /** Closes the upstream connection pool. */
  close(): Promise<void>
}

/**
 * Creates the handler. Options mirror the environment variables (`CLERK_SECRET_KEY`, …), read
 * from `process.env` when the server starts; a bad value throws there, naming the variable.
 * The peer is the socket address, with `TRUST_PROXY` on top.
 *
 * @example
 * export default defineEventHandler(clerkProxyEventHandler({ proxyUrl: 'https://app.example.com/__clerk' }))
 */
export function clerkProxyEventHandler(options: ClerkProxyOptions = {}): ClerkProxyEventHandler {
  const proxy = nodeAppProxy(options)
  const handler = async (event: NodeH3Event): Promise<void> => {
    // The response is written on event.node.res: h3 sees it ended and sends nothing of its own.
    if (proxy.handles(event.node.req)) await proxy.handle(event.node.req, event.node.res)
  }
  return Object.assign(handler, { close: () => proxy.close() })
}
