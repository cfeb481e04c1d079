import type { ProxyErrorCode } from '../errors.ts'
import { pathAfterPrefix } from '../upstream-url.ts'
import { Registry, type Counter, type Gauge, type Histogram } from './registry.ts'

/** What a standalone server knows about one finished (or aborted) request. */
export interface RequestObservation {
  /** The request method as sent; anything unusual is counted as `other`. */
  readonly method: string
  /** The request path without its query string. */
  readonly path: string
  /** The status code sent to the client. */
  readonly status: number
  /** Milliseconds until Clerk's response headers arrived; absent when nothing went upstream. */
  readonly upstreamMs: number | undefined
  /** Milliseconds from the request's arrival until the response ended. */
  readonly totalMs: number
  /** Request body bytes (the declared `Content-Length`; 0 without one). */
  readonly bytesIn: number
  /** Response body bytes sent. */
  readonly bytesOut: number
  /** The proxy's own error code when the proxy answered with an error itself. */
  readonly errorCode: ProxyErrorCode | undefined
  /** True when the client went away before the response was complete. */
  readonly aborted: boolean
}

/** Process figures a runtime can report; each is optional (Deno has no CPU time, for one). */
export interface ProcessFigures {
  readonly residentMemoryBytes?: number
  readonly heapUsedBytes?: number
  readonly cpuSeconds?: number
}

/** The proxy's metrics: what the servers record and the registry a scrape reads. */
export interface ProxyMetrics {
  /** The registry to render (or snapshot, in a cluster worker). */
  readonly registry: Registry
  /** A request arrived (in-flight goes up). */
  requestStarted(): void
  /** A request ended (in-flight goes down; counters and histograms record it). */
  requestFinished(observation: RequestObservation): void
  /**
   * The proxy answered with its own error outside a request it could observe (a request
   * Node's HTTP parser refused, one that cannot be turned into a URL).
   */
  proxyErrorAnswered(code: ProxyErrorCode): void
  /** The upstream pool opened a connection to Clerk. */
  upstreamConnectionOpened(httpVersion: string): void
  /** The upstream pool closed a connection to Clerk. */
  upstreamConnectionClosed(httpVersion: string): void
}

/** Route groups: the only path information that becomes a label. */
export type RouteGroup = '/v1/client' | '/v1/environment' | '/npm' | 'other' | 'outside_prefix'

/** Every code the proxy answers with itself; each is exposed from the start, at 0. */
const ERROR_CODES: readonly ProxyErrorCode[] = [
  'proxy_configuration_error',
  'proxy_request_failed',
  'proxy_timeout',
  'proxy_bad_request',
  'proxy_method_not_allowed',
  'proxy_payload_too_large',
]

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

// Seconds. Clerk's answers over a WAN take tens to hundreds of milliseconds; the tail reaches
// the upstream timeout (30 s by default).
const SECONDS_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * The route group of a request path: `/v1/client…`, `/v1/environment`, `/npm/…`, any other
 * proxied path, or a path outside the prefix (`/healthz`, 404s). Path parameters and queries
 * never reach a label.
 *
 * @example
 * routeGroup('/__clerk/v1/client/sessions/sess_123/touch', '/__clerk') // '/v1/client'
 */
export function routeGroup(path: string, proxyPath: string): RouteGroup {
  const rest = pathAfterPrefix(path, proxyPath)
  if (rest === undefined) return 'outside_prefix'
  if (rest === '/v1/client' || rest.startsWith('/v1/client/')) return '/v1/client'
  if (rest === '/v1/environment') return '/v1/environment'
  if (rest.startsWith('/npm/')) return '/npm'
  return 'other'
}

/**
 * Creates the proxy's metric families in a new registry. `processFigures` is read at each
 * scrape; `ready` too (1 when `/readyz` would answer 200 without probing, else 0).
 *
 * @example
 * const metrics = createProxyMetrics('/__clerk', { processFigures: nodeProcessFigures })
 * metrics.requestStarted()
 */
export function createProxyMetrics(
  proxyPath: string,
  sources: { readonly processFigures?: () => ProcessFigures; readonly ready?: () => boolean } = {},
): ProxyMetrics {
  const registry = new Registry()
  const requests = registry.counter({
    name: 'clerk_proxy_requests_total',
    help: 'Requests answered, by method, status class and route group.',
    labelNames: ['method', 'status_class', 'route'],
  })
  const duration = registry.histogram(
    { name: 'clerk_proxy_request_duration_seconds', help: 'Time from a request arriving until its response ended.', labelNames: ['route'] },
    SECONDS_BUCKETS,
  )
  const upstreamHeaders = registry.histogram(
    { name: 'clerk_proxy_upstream_response_headers_seconds', help: "Time from sending a request to Clerk until Clerk's response headers arrived.", labelNames: ['route'] },
    SECONDS_BUCKETS,
  )
  const bytesIn = registry.counter({ name: 'clerk_proxy_request_body_bytes_total', help: 'Request body bytes declared (Content-Length) by the requests answered.', labelNames: ['route'] })
  const bytesOut = registry.counter({ name: 'clerk_proxy_response_body_bytes_total', help: 'Response body bytes sent to clients.', labelNames: ['route'] })
  const errors = registry.counter({ name: 'clerk_proxy_errors_total', help: "Responses the proxy made itself, by the proxy's error code.", labelNames: ['code'] })
  for (const code of ERROR_CODES) errors.inc([code], 0)
  const aborted = registry.counter({ name: 'clerk_proxy_client_aborts_total', help: 'Requests whose client went away before the response was complete.' })
  aborted.inc([], 0)
  const inFlight = registry.gauge({ name: 'clerk_proxy_requests_in_flight', help: 'Requests being answered right now.' })
  inFlight.set([], 0)
  const connectionsOpen = registry.gauge({ name: 'clerk_proxy_upstream_connections_open', help: 'Connections to Clerk open now, by HTTP version.', labelNames: ['http_version'] })
  const connectionsOpened = registry.counter({ name: 'clerk_proxy_upstream_connections_opened_total', help: 'Connections to Clerk opened, by HTTP version.', labelNames: ['http_version'] })
  const processes = registry.gauge({ name: 'clerk_proxy_processes', help: 'Server processes whose figures these are (with --workers, the workers that answered this scrape).' })
  processes.set([], 1)
  if (sources.ready) readyGauge(registry, sources.ready)
  if (sources.processFigures) processGauges(registry, sources.processFigures)

  return {
    registry,
    requestStarted: () => inFlight.add([], 1),
    requestFinished: (o) => {
      inFlight.add([], -1)
      const route = routeGroup(o.path, proxyPath)
      requests.inc([METHODS.has(o.method) ? o.method : 'other', statusClass(o.status), route])
      duration.observe([route], o.totalMs / 1000)
      if (o.upstreamMs !== undefined) upstreamHeaders.observe([route], o.upstreamMs / 1000)
      if (o.bytesIn > 0) bytesIn.inc([route], o.bytesIn)
      bytesOut.inc([route], o.bytesOut)
      if (o.errorCode !== undefined) errors.inc([o.errorCode])
      if (o.aborted) aborted.inc()
    },
    proxyErrorAnswered: (code) => errors.inc([code]),
    upstreamConnectionOpened: (version) => {
      connectionsOpened.inc([version])
      connectionsOpen.add([version], 1)
    },
    upstreamConnectionClosed: (version) => connectionsOpen.add([version], -1),
  }
}

function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'
}

function readyGauge(registry: Registry, ready: () => boolean): void {
  const gauge = registry.gauge({ name: 'clerk_proxy_ready', help: '1 when the server is ready (what /readyz answers without probing), else 0.' })
  registry.beforeSnapshot(() => gauge.set([], ready() ? 1 : 0))
}

// The standard process metric names, so existing dashboards pick them up.
const START_TIME_SECONDS = Date.now() / 1000

function processGauges(registry: Registry, read: () => ProcessFigures): void {
  const start = registry.gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since the Unix epoch, in seconds.', across: 'min' })
  const memory = registry.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.' })
  const heap = registry.gauge({ name: 'clerk_proxy_heap_used_bytes', help: 'JavaScript heap in use, in bytes.' })
  const cpu = registry.counter({ name: 'process_cpu_seconds_total', help: 'User and system CPU time spent, in seconds.' })
  let cpuSeen = 0
  registry.beforeSnapshot(() => {
    const figures = read()
    start.set([], START_TIME_SECONDS)
    if (figures.residentMemoryBytes !== undefined) memory.set([], figures.residentMemoryBytes)
    if (figures.heapUsedBytes !== undefined) heap.set([], figures.heapUsedBytes)
    if (figures.cpuSeconds !== undefined) {
      cpu.inc([], Math.max(0, figures.cpuSeconds - cpuSeen))
      cpuSeen = Math.max(cpuSeen, figures.cpuSeconds)
    }
  })
}

/** The part of a runtime's process object the process figures come from (Node's and Bun's `process`, `Deno`). */
export interface ProcessUsage {
  memoryUsage(): { rss: number; heapUsed: number }
  cpuUsage?(): { user: number; system: number }
}

/**
 * Reads {@link ProcessFigures} from a runtime's process object: resident memory, heap in use,
 * and CPU time where the runtime reports it.
 *
 * @example
 * createProxyMetrics('/__clerk', { processFigures: () => processFiguresOf(process) })
 */
export function processFiguresOf(usage: ProcessUsage): ProcessFigures {
  const { rss, heapUsed } = usage.memoryUsage()
  const cpu = usage.cpuUsage?.()
  return { residentMemoryBytes: rss, heapUsedBytes: heapUsed, ...(cpu ? { cpuSeconds: (cpu.user + cpu.system) / 1e6 } : {}) }
}
