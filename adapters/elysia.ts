/**
 * The proxy inside an Elysia app on Bun: a plugin whose `onRequest` hook answers `<prefix>/*`
 * before routing, body parsing or any auth plugin runs, and lets every other request through.
 *
 * @example
 * import { Elysia } from 'elysia'
 * import { clerkProxyPlugin } from '@fapi-proxy/clerk/elysia'
 *
 * new Elysia().use(clerkProxyPlugin()).get('/', () => 'your app').listen(3000)
 *
 * @module
 */
import { requestProxy, type RequestProxyOptions } from '../src/request-proxy.ts'
import { bunTransport, type BunServer } from './bun.ts'

export type { RequestProxyOptions } from '../src/request-proxy.ts'

/** The part of Elysia's request context the plugin uses (written out: `elysia` is an optional peer). */
export interface ElysiaRequestContext {
  /** The incoming request. */
  readonly request: Request
  /** Bun's server, whose `requestIP` is the peer `TRUST_PROXY` applies to. */
  readonly server: Pick<BunServer, 'requestIP'> | null
}

/** The part of an Elysia app the plugin uses. */
export interface ElysiaHooks {
  /** Where the proxy answers its prefix: the first hook Elysia runs for a request. */
  onRequest(handler: (context: ElysiaRequestContext) => Promise<Response | undefined>): unknown
}

/**
 * Creates the plugin for `app.use()`. Options mirror the environment variables
 * (`CLERK_SECRET_KEY`, …), read from `Bun.env`/`process.env` when the first request arrives.
 * Upstream bodies stay compressed (Bun's fetch with `decompress: false`).
 *
 * @example
 * app.use(clerkProxyPlugin({ proxyUrl: 'https://app.example.com/__clerk', trustProxy: 1 }))
 */
export function clerkProxyPlugin(options: RequestProxyOptions = {}): <App extends ElysiaHooks>(app: App) => App {
  const proxy = requestProxy({ ...options, transport: options.transport ?? bunTransport })
  return (app) => {
    app.onRequest(async ({ request, server }) => (proxy.handles(request) ? proxy(request, server?.requestIP(request)?.address) : undefined))
    return app
  }
}
