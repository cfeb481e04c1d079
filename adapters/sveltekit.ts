/**
 * The proxy inside a SvelteKit app: a `handle` hook that answers `<prefix>/*` before any route
 * and passes every other request to `resolve` (compose it first with `sequence()`).
 *
 * @example
 * // src/hooks.server.ts
 * import { clerkProxyHandle } from '@fapi-proxy/clerk/sveltekit'
 * export const handle = clerkProxyHandle()
 *
 * @module
 */
import { requestProxy, type RequestProxyOptions } from '../src/request-proxy.ts'

export type { RequestProxyOptions } from '../src/request-proxy.ts'

/** The part of SvelteKit's `RequestEvent` the hook uses (written out: `@sveltejs/kit` is an optional peer). */
export interface SvelteKitEvent {
  /** The incoming request. */
  readonly request: Request
  /** The client's address as the adapter reports it (the socket on adapter-node, unless `ADDRESS_HEADER` is set). */
  getClientAddress(): string
}

/** A SvelteKit `handle` hook. */
export type SvelteKitHandle<Event extends SvelteKitEvent = SvelteKitEvent> = (input: {
  event: Event
  resolve: (event: Event) => Response | Promise<Response>
}) => Promise<Response>

/**
 * Creates the hook. Options mirror the environment variables (`CLERK_SECRET_KEY`,
 * `CLERK_PROXY_URL`, …), read from `process.env` when the first request arrives.
 * `getClientAddress()` is the peer `TRUST_PROXY` applies to.
 *
 * @example
 * export const handle = sequence(clerkProxyHandle({ trustProxy: 1 }), yourAuthHandle)
 */
export function clerkProxyHandle<Event extends SvelteKitEvent = SvelteKitEvent>(options: RequestProxyOptions = {}): SvelteKitHandle<Event> {
  const proxy = requestProxy(options)
  return async ({ event, resolve }) => {
    if (!proxy.handles(event.request)) return resolve(event)
    return (await proxy(event.request, peerOf(event))) ?? resolve(event)
  }
}

function peerOf(event: SvelteKitEvent): string | undefined {
  try {
    return event.getClientAddress()
  } catch {
    return undefined // not available while prerendering
  }
}
