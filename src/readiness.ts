/**
 * What `/readyz` answers. A standalone server only starts with a valid configuration, so ready
 * means: not draining after SIGTERM, and Clerk reachable: a connection to the Frontend API is
 * open (when the upstream pool can say so), or Clerk answered within the last
 * {@link READY_WINDOW_MS}, or a probe reaches it now. `/healthz` stays a liveness answer.
 */
import type { ProxyConfig } from './config.ts'

/**
 * Whether the upstream pool holds an open connection to Clerk. The Node pool reports this; a
 * pool that pre-connects makes a server ready before its first request.
 */
export interface UpstreamConnectivity {
  /** True while at least one connection to the Frontend API is open. */
  isConnected(): boolean
}

/** Ready, or why not. */
export type ReadinessState = { readonly ready: true } | { readonly ready: false; readonly reason: 'draining' | 'upstream_unreachable' }

/** The readiness of one server process. */
export interface Readiness {
  /** Clerk answered a proxied request (any status): it is reachable. */
  upstreamAnswered(): void
  /** The server is shutting down: not ready from now on. */
  startDraining(): void
  /** The state without probing (for the `clerk_proxy_ready` gauge). */
  current(): ReadinessState
  /** The state, probing Clerk when nothing recent says it is reachable. */
  check(): Promise<ReadinessState>
  /**
   * Probes Clerk now, whatever the state (the start-up probe): resolves once Clerk answered,
   * which counts as an answer; rejects with the transport's error when it did not.
   */
  probe(timeoutMs?: number): Promise<void>
}

/** How long a proxied answer from Clerk counts as proof it is reachable: 30 seconds. */
export const READY_WINDOW_MS = 30_000

/** How long a readiness probe waits for Clerk (kubelet's probe timeout is 1 s by default). */
export const PROBE_TIMEOUT_MS = 900

/**
 * Tracks readiness for one server.
 *
 * @example
 * const readiness = createReadiness({ probe: fapiReachabilityProbe(config, fetch) })
 * app.get('/readyz', async () => readinessResponse(await readiness.check()))
 */
export function createReadiness(options: {
  /** Reaches Clerk now (within `timeoutMs` when given); resolves true when any HTTP answer came back. */
  readonly probe: (timeoutMs?: number) => Promise<boolean>
  readonly connectivity?: UpstreamConnectivity
  readonly windowMs?: number
}): Readiness {
  const windowMs = options.windowMs ?? READY_WINDOW_MS
  let draining = false
  let lastAnswerAt = -Infinity
  let probing: Promise<boolean> | undefined
  const recent = (): boolean => performance.now() - lastAnswerAt < windowMs || options.connectivity?.isConnected() === true
  const current = (): ReadinessState =>
    draining ? { ready: false, reason: 'draining' } : recent() ? { ready: true } : { ready: false, reason: 'upstream_unreachable' }
  const upstreamAnswered = (): void => {
    lastAnswerAt = performance.now()
  }
  return {
    upstreamAnswered,
    startDraining: () => {
      draining = true
    },
    current,
    async check() {
      const state = current()
      if (state.ready || state.reason === 'draining') return state
      // One probe at a time however many probes arrive together.
      probing ??= options.probe().then(
        (reached) => {
          if (reached) upstreamAnswered()
          return reached
        },
        () => false,
      )
      const pending = probing
      await pending.finally(() => {
        if (probing === pending) probing = undefined
      })
      return current()
    },
    async probe(timeoutMs) {
      if (await options.probe(timeoutMs)) upstreamAnswered()
    },
  }
}

/**
 * A probe that sends `HEAD <fapi>/v1/environment` without credentials: any HTTP answer (even
 * 401) proves DNS, TCP, TLS and Clerk's front door work. No secret key is sent.
 *
 * @example
 * fapiReachabilityProbe(config, (url, init) => fetch(url, init))
 */
export function fapiReachabilityProbe(
  config: Pick<ProxyConfig, 'fapiOrigin' | 'fapiBasePath'>,
  fetchFn: (url: string, init: RequestInit) => Promise<Response>,
  defaultTimeoutMs: number = PROBE_TIMEOUT_MS,
): (timeoutMs?: number) => Promise<boolean> {
  const url = `${config.fapiOrigin}${config.fapiBasePath}/v1/environment`
  return async (timeoutMs = defaultTimeoutMs) => {
    const response = await fetchFn(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
    await response.body?.cancel().catch(() => {})
    return true
  }
}

/**
 * The `/readyz` answer: `200 {"status":"ready"}` or `503 {"status":"not_ready","reason":…}`,
 * never cached.
 *
 * @example
 * readinessResponse({ ready: false, reason: 'draining' }).status // 503
 */
export function readinessResponse(state: ReadinessState): Response {
  const body = state.ready ? { status: 'ready' } : { status: 'not_ready', reason: state.reason }
  return new Response(JSON.stringify(body), {
    status: state.ready ? 200 : 503,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  })
}
