import type { HttpBindings } from '@hono/node-server'
import type { ServerResponse } from 'node:http'
import { pipeline } from 'node:stream'
import { Pool, errors as undiciErrors } from 'undici'
import type { Forwarder } from '../app.ts'
import type { ProxyConfig } from '../config.ts'
import { connectionTokens, upstreamRequestHeaderList } from '../headers.ts'
import { responseHeaderValue, type ResponseShaping } from '../response-headers.ts'
import { upstreamFailureResponse } from '../upstream-error.ts'

/** What the Node forwarder recorded about one response, for the access log. */
export interface UpstreamTiming {
  /** Milliseconds from sending the request to receiving Clerk's response headers. */
  upstreamMs: number
  /** Body bytes sent to the client (known length, or counted while streaming). */
  bytes: number
}

/** The key under which the forwarder leaves an {@link UpstreamTiming} on the `ServerResponse`. */
export const UPSTREAM_TIMING: unique symbol = Symbol('clerk-proxy.upstream-timing')

/** A `ServerResponse` the forwarder may annotate with its timing. */
export type TimedResponse = ServerResponse & { [UPSTREAM_TIMING]?: UpstreamTiming }

const ALREADY_SENT: Response = new Response(null, { headers: { 'x-hono-already-sent': '1' } })

/**
 * A forwarder for `@hono/node-server` that streams Node's request straight into an undici
 * connection pool and Clerk's answer straight into Node's response: no Web stream conversion,
 * no decoding (compressed assets stay compressed), back-pressure both ways, and the client's
 * disconnect destroying the upstream request.
 *
 * @example
 * const app = clerkProxy({ forward: nodeForwarder(), peerAddress: (c) => c.env.incoming.socket.remoteAddress })
 */
export function nodeForwarder(): Forwarder & { close(): Promise<void> } {
  const pools = new Map<string, Pool>()
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin)
    if (!pool) pools.set(origin, (pool = new Pool(origin, { keepAliveTimeout: 30_000, pipelining: 1 })))
    return pool
  }

  const forward: Forwarder = async (c, route, config) => {
    const { incoming, outgoing } = c.env as HttpBindings
    const response = outgoing as TimedResponse
    const method = incoming.method ?? 'GET'
    const hasBody =
      method !== 'GET' && method !== 'HEAD' && (incoming.headers['transfer-encoding'] !== undefined || Number(incoming.headers['content-length'] ?? 0) > 0)
    const controller = new AbortController()
    const onClientGone = (): void => {
      if (!outgoing.writableFinished) controller.abort(new Error('client disconnected'))
    }
    outgoing.once('close', onClientGone)
    const started = performance.now()
    let upstream: Awaited<ReturnType<Pool['request']>>
    try {
      upstream = await poolFor(config.fapiOrigin).request({
        path: route.url.slice(config.fapiOrigin.length),
        method,
        headers: upstreamRequestHeaderList(incoming.rawHeaders, {
          proxyUrl: route.proxyUrl,
          secretKey: config.secretKey,
          clientIp: route.clientIp,
        }),
        body: hasBody ? incoming : null,
        signal: controller.signal,
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
      })
    } catch (error) {
      const timedOut = error instanceof undiciErrors.HeadersTimeoutError
      response[UPSTREAM_TIMING] = { upstreamMs: performance.now() - started, bytes: 0 }
      return upstreamFailureResponse(timedOut ? 'timeout' : 'failed', config.timeoutMs, error)
    }
    const timing: UpstreamTiming = { upstreamMs: performance.now() - started, bytes: 0 }
    response[UPSTREAM_TIMING] = timing
    const headers = clientHeaderRecord(upstream.headers, { config, proxyUrl: route.proxyUrl, bodyDecoded: false })
    const length = upstream.headers['content-length']
    if (typeof length === 'string') timing.bytes = Number(length)
    else upstream.body.on('data', (chunk: Buffer) => (timing.bytes += chunk.length))
    outgoing.writeHead(upstream.statusCode, headers)
    pipeline(upstream.body, outgoing, (error) => {
      // Headers are gone: the only honest signal left for a broken body is a closed connection.
      if (error && !outgoing.destroyed) outgoing.destroy()
    })
    return ALREADY_SENT
  }
  return Object.assign(forward, {
    async close(): Promise<void> {
      await Promise.all([...pools.values()].map((pool) => pool.close()))
      pools.clear()
    },
  })
}

type NodeHeaders = Record<string, string | string[] | undefined>

function clientHeaderRecord(upstream: NodeHeaders, shaping: ResponseShaping): NodeHeaders {
  const connection = upstream['connection']
  const extra = connectionTokens(Array.isArray(connection) ? connection.join(',') : connection)
  const out: NodeHeaders = {}
  for (const name in upstream) {
    const value = upstream[name]
    if (value === undefined || extra?.has(name)) continue
    if (Array.isArray(value)) {
      const kept = value.map((v) => responseHeaderValue(name, v, shaping)).filter((v): v is string => v !== undefined)
      if (kept.length > 0) out[name] = kept
    } else {
      const kept = responseHeaderValue(name, value, shaping)
      if (kept !== undefined) out[name] = kept
    }
  }
  return out
}

/**
 * Reads a request header from Node's parsed headers, joining repeats as fetch would.
 *
 * @example
 * clerkProxy({ readHeader: readNodeHeader }) // inside a @hono/node-server app
 */
export function readNodeHeader(c: { env: unknown }, name: string): string | undefined {
  const value = (c.env as HttpBindings).incoming.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * The socket address of the connecting peer.
 *
 * @example
 * clerkProxy({ peerAddress: nodePeerAddress }) // inside a @hono/node-server app
 */
export function nodePeerAddress(c: { env: unknown }): string | undefined {
  return (c.env as HttpBindings).incoming.socket.remoteAddress
}

/** The request target exactly as the client sent it. */
export function nodeRawTarget(c: { env: unknown }): string | undefined {
  return (c.env as HttpBindings).incoming.url
}
