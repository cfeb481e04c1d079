/**
 * The Bun adapter. `bun run adapters/bun.ts` starts a standalone proxy server with the same
 * environment as the `clerk-proxy` CLI (`PORT`, `HOST`, `CLERK_*`, `TRUST_PROXY`). The client
 * IP is the socket peer (`server.requestIP`). Requests to an `https` Frontend API share one
 * HTTP/2 session held open ahead of need ({@link BunUpstreamTransport}); upstream bodies stay
 * compressed, so assets cross the wire as Clerk sent them.
 *
 * @example
 * // server.ts, run with: bun run server.ts
 * import { serve } from '@fapi-proxy/clerk/bun'
 * serve({ port: 3000, trustProxy: 1 })
 *
 * @module
 */
import type { Context } from 'hono'
import type { ClerkProxyOptions } from '../src/app.ts'
import type { ProxyConfig } from '../src/config/proxy.ts'
import type { ServerConfigOptions } from '../src/config/server.ts'
import type { FetchTransport } from '../src/forward-fetch.ts'
import type { LogFormat, Logger } from '../src/log.ts'
import { processFiguresOf, type ProcessUsage } from '../src/metrics/proxy-metrics.ts'
import type { Readiness, ReadinessState } from '../src/readiness.ts'
import { BunUpstreamTransport, type FapiLocation } from './bun/upstream.ts'
import { bodyErrorLogged, fetchEntry, serveStandalone, type FetchHandler, type FetchServerPlatform, type RunningStandaloneServer, type StandaloneServeOptions } from '../src/standalone/index.ts'
export { BunUpstreamTransport }
export type { ClerkProxyOptions, FapiLocation, FetchHandler, FetchTransport, LogFormat, Logger, ProxyConfig, Readiness, ReadinessState, RunningStandaloneServer, ServerConfigOptions, StandaloneServeOptions }

/** The part of Bun's `Server` the proxy uses. */
export interface BunServer {
  /** The port the server listens on. */
  readonly port?: number | undefined
  /** The address of the client that sent `request`. */
  requestIP(request: Request): { address: string } | null
  /** Stops the server (gracefully unless told to close active connections). */
  stop(closeActiveConnections?: boolean): Promise<void>
}
/** A Bun fetch handler: `(request, server)`. */
export type BunFetchHandler = FetchHandler<BunServer>
// Minimal local types for the Bun globals used here (no global augmentation: JSR rejects it).
type BunServeOptions = { port: number; hostname: string; idleTimeout: number; maxRequestBodySize: number; development: boolean; fetch(request: Request, server: BunServer): Response | Promise<Response> }
declare const Bun: { readonly env: Record<string, string | undefined>; serve(options: BunServeOptions): BunServer }
declare const process: { on(signal: string, listener: (signal: string) => void): void; exit(code: number): never } & ProcessUsage

/** The Bun transport of the standalone server: HTTP/2 to an `https` Frontend API, else `fetch` with `decompress: false`. */
export const bunTransport: BunUpstreamTransport = new BunUpstreamTransport()

/**
 * The socket address of the client, from the `Bun.Server` passed to `fetch`.
 * @example clerkProxy({ peerAddress: bunPeerAddress }) // app.fetch(request, { server })
 */
export function bunPeerAddress(c: Context): string | undefined {
  const server = (c.env as { server?: BunServer } | undefined)?.server
  return server && bunRequestPeer(c.req.raw, server)
}

function bunRequestPeer(request: Request, server: BunServer): string | undefined {
  return server.requestIP(request)?.address
}

const bun: FetchServerPlatform<BunServer, BunServer> = {
  runtime: 'bun',
  env: (name) => Bun.env[name],
  adapter: { peerAddress: bunPeerAddress, transport: bunTransport },
  bodyError: bodyErrorLogged,
  respond: (app, request, server) => app.fetch(request, { server }),
  requestPeer: bunRequestPeer,
  framesBodies: true,
  listen(fetch, { port, hostname, proxy }) {
    // Bun closes connections idle for 10 s by default, and answers bodies over its own limit with a bare 413: a request may
    // wait longer for Clerk, and the proxy enforces CLERK_PROXY_MAX_BODY itself (in Clerk's shape, chunked bodies counted).
    const idleTimeout = Math.min(255, Math.ceil(proxy.timeoutMs / 1000) + 5)
    // Never Bun's development mode (its default unless NODE_ENV=production): it would answer an uncaught error with
    // an HTML page holding the stack, and it costs CPU on every request.
    const server = Bun.serve({ port, hostname, idleTimeout, maxRequestBodySize: Number.MAX_SAFE_INTEGER, development: false, fetch })
    return { server, hostname, port: server.port ?? port, stop: () => server.stop(), closeAll: () => void server.stop(true) }
  },
  upstream: (fapi, settings) => bunTransport.configure(fapi, settings),
  processFigures: () => processFiguresOf(process),
  onSignal: (listener) => ['SIGTERM', 'SIGINT'].forEach((signal) => process.on(signal, listener)),
  exit: (code) => process.exit(code),
}

/** Options for {@link serve}: the proxy options plus where to listen. */
export type BunServeProxyOptions = StandaloneServeOptions
/** A running Bun proxy server. */
export type RunningBunServer = RunningStandaloneServer & { readonly server: BunServer }
/**
 * Starts the proxy with `Bun.serve`; a missing or bad setting throws a `ConfigurationError`
 * naming it. `GET /healthz` answers outside the prefix; other paths outside it answer 404.
 * @example const running = serve({ port: 0 }) // reads CLERK_SECRET_KEY etc. from Bun.env
 */
export function serve(options: BunServeProxyOptions = {}): RunningBunServer {
  return serveStandalone(bun, options)
}

/** `export default` this from your own entry to let Bun serve it (the environment is read on the first request). */
const bunEntry: { readonly fetch: BunFetchHandler } = fetchEntry(bun, (import.meta as { main?: boolean }).main)
export default bunEntry
