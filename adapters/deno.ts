/**
 * The Deno adapter. `deno run --allow-net --allow-env adapters/deno.ts` starts a standalone
 * proxy server with the same environment as the `clerk-proxy` CLI; the client IP is the socket
 * peer (`info.remoteAddr`). The default export is the Deno Deploy / `deno serve` entrypoint.
 * Deno's `fetch` decodes compressed bodies, so the proxy gzips them again for clients that
 * accept gzip, others get plain bytes (docs/network.md#deno).
 *
 * @example
 * // main.ts, for Deno Deploy or `deno serve --allow-net --allow-env main.ts`
 * export { default } from '@fapi-proxy/clerk/deno'
 *
 * @module
 */
import type { Context } from 'hono'
import type { ClerkProxyOptions } from '../src/app.ts'
import type { ProxyConfig } from '../src/config/proxy.ts'
import type { ServerConfigOptions } from '../src/config/server.ts'
import type { UpstreamConfig } from '../src/config/upstream.ts'
import type { FetchTransport } from '../src/forward-fetch.ts'
import type { LogFormat, Logger } from '../src/log.ts'
import { processFiguresOf, type ProcessUsage } from '../src/metrics/proxy-metrics.ts'
import type { Readiness, ReadinessState } from '../src/readiness.ts'
import { gzipAgainTransport } from '../src/recompress.ts'
import { withoutConnectionHeader } from '../src/response-headers.ts'
import { bodyErrorAsLogLine, fetchEntry, serveStandalone, type FetchHandler, type FetchServerPlatform, type RunningStandaloneServer, type StandaloneServeOptions } from '../src/standalone/index.ts'
export type { ClerkProxyOptions, FetchHandler, LogFormat, Logger, ProxyConfig, Readiness, ReadinessState, RunningStandaloneServer, ServerConfigOptions, StandaloneServeOptions }
export { withoutConnectionHeader }

/** The part of Deno's `ServeHandlerInfo` the proxy uses. */
export interface DenoServeInfo {
  /** The peer: a TCP peer has a `hostname`, a Unix-socket or vsock peer none. */
  readonly remoteAddr: { readonly transport: string; readonly hostname?: string }
}
/** A Deno fetch handler: `(request, info)`. */
export type DenoFetchHandler = FetchHandler<DenoServeInfo>
// Minimal local types for the Deno globals used here (no global augmentation: JSR rejects it).
type DenoHttpServer = { readonly addr: { readonly hostname: string; readonly port: number }; shutdown(): Promise<void> }
type DenoHttpClient = { close(): void }
declare const Deno: ProcessUsage & {
  /** Absent on Deno Deploy. */
  readonly createHttpClient?: (options: { poolIdleTimeout?: number; http1?: boolean; http2?: boolean }) => DenoHttpClient
  readonly env: { get(name: string): string | undefined }
  serve(options: { port: number; hostname: string; onListen(): void }, handler: (request: Request, info: DenoServeInfo) => Response | Promise<Response>): DenoHttpServer
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void
  exit(code: number): never
}

/**
 * The socket address of the client, from the `info` Deno passes to the handler.
 * @example clerkProxy({ peerAddress: denoPeerAddress }) // app.fetch(request, { info })
 */
export function denoPeerAddress(c: Context): string | undefined {
  return (c.env as { info?: DenoServeInfo } | undefined)?.info?.remoteAddr.hostname
}

/**
 * Reads a variable from `Deno.env` (needs `--allow-env`).
 * @example clerkProxy({ env: denoEnv })
 */
export function denoEnv(name: string): string | undefined {
  return Deno.env.get(name)
}

// Deno's fetch always decodes: bodies are gzipped again (CompressionStream) for clients that accept gzip.
const denoTransport = gzipAgainTransport((url, init) => fetch(url, init))

/**
 * The standalone server's transport: Deno's fetch through an HTTP client that keeps idle
 * connections `CLERK_PROXY_UPSTREAM_KEEPALIVE` (Deno's default pool drops them after 90 s) and
 * offers HTTP/2 unless `CLERK_PROXY_UPSTREAM_HTTP2=off`; plain `fetch` where Deno has no
 * `createHttpClient` (Deno Deploy).
 */
function denoUpstreamTransport(upstream: UpstreamConfig): FetchTransport {
  if (typeof Deno.createHttpClient !== 'function') return denoTransport
  const client = Deno.createHttpClient({ poolIdleTimeout: upstream.keepAliveMs, http1: true, http2: upstream.http2 })
  return gzipAgainTransport((url, init) => fetch(url, { ...init, client } as RequestInit))
}

const deno: FetchServerPlatform<DenoHttpServer, DenoServeInfo> = {
  runtime: 'deno',
  env: denoEnv,
  adapter: { peerAddress: denoPeerAddress, transport: denoTransport },
  upstreamTransport: denoUpstreamTransport,
  bodyError: (_logger, format) => bodyErrorAsLogLine(format),
  respond: async (app, request, info) => withoutConnectionHeader(await app.fetch(request, { info })),
  listen(fetch, { port, hostname }) {
    const server = Deno.serve({ port, hostname, onListen: () => {} }, fetch)
    // Deno has no "close every connection": at the shutdown bound the process exits, which does.
    return { server, hostname: server.addr.hostname, port: server.addr.port, stop: () => server.shutdown() }
  },
  processFigures: () => processFiguresOf(Deno),
  onSignal: (listener) => (['SIGTERM', 'SIGINT'] as const).forEach((signal) => Deno.addSignalListener(signal, () => listener(signal))),
  exit: (code) => Deno.exit(code),
}

/** Options for {@link serve}: the proxy options plus where to listen. */
export type DenoServeProxyOptions = StandaloneServeOptions
/** A running Deno proxy server. */
export type RunningDenoServer = RunningStandaloneServer
/**
 * Starts the proxy with `Deno.serve`; a missing or bad setting throws a `ConfigurationError`
 * naming it. `GET /healthz` answers outside the prefix; other paths outside it answer 404.
 * @example const running = serve({ port: 8000 }) // reads CLERK_SECRET_KEY etc. from Deno.env
 */
export function serve(options: DenoServeProxyOptions = {}): RunningDenoServer {
  return serveStandalone(deno, options)
}

/** The Deno Deploy / `deno serve` entrypoint: re-export it from your entry file (the environment is read on the first request). */
const denoEntry: { readonly fetch: DenoFetchHandler } = fetchEntry(deno, (import.meta as { main?: boolean }).main)
export default denoEntry
