/**
 * The access log of the fetch-based standalone servers (Bun, Deno): one line per request once
 * its body has been sent or the client went away, and a broken-off upstream body reported
 * without its URL.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { proxyErrorCodeOf } from '../errors.ts'
import { BUFFERED_BODY_LIMIT, upstreamHeadersMs } from '../forward-fetch.ts'
import { createLogger, loggablePath, type LogFormat, type Logger } from '../log.ts'
import { REQUEST_ID_HEADER } from '../request-id.ts'
import type { StandaloneOperations } from './operations.ts'

/**
 * What a broken-off response body is errored with, given what to say about it. The runtime
 * prints that value: the default is an `Error` with only `message`; an adapter can log the
 * message itself and return a value its runtime prints as nothing (Bun: `undefined`), or
 * return the formatted log line (Deno prints a string reason as is).
 */
export type BodyErrorReason = (message: string, fields: Readonly<Record<string, string>>) => unknown

/** The default {@link BodyErrorReason}: an `Error` holding only the message. */
export const defaultBodyError: BodyErrorReason = (message) => new Error(`clerk-proxy: ${message}`)

/**
 * A {@link BodyErrorReason} for a runtime that prints the reason with the source line around
 * it and prints `undefined` as nothing (Bun): the proxy logs the line itself.
 *
 * @example
 * accessLog(logger, bodyErrorLogged(logger))
 */
export function bodyErrorLogged(logger: Logger | undefined): BodyErrorReason {
  return (message, fields) => void logger?.error(message, fields)
}

/**
 * A {@link BodyErrorReason} for a runtime that prints a string reason as is (Deno): the reason
 * is the log line itself, in the configured format (empty with the log off).
 *
 * @example
 * accessLog(logger, bodyErrorAsLogLine('json'))
 */
export function bodyErrorAsLogLine(format: LogFormat): BodyErrorReason {
  return (message, fields) => {
    let line = ''
    createLogger(format, (text) => (line = text)).error(message, fields)
    return line
  }
}

/** The message for a response body that broke off (the upstream reset or stalled). */
export const BODY_BROKE_OFF = 'the upstream response body broke off'

/** What the access log records besides its line: the request id, metrics, readiness. */
export interface AccessObservers extends Partial<Pick<StandaloneOperations, 'metrics' | 'readiness'>> {
  /** The request's id (a trusted proxy's, or a new one), sent back as `X-Request-Id`. */
  readonly requestIdOf?: (c: Context) => string
}

/**
 * Runs one request through `respond` and observes it: `requestId` goes on the response as
 * `X-Request-Id`, the readiness learns that Clerk answered, and the log line and metrics are
 * written once the body has been sent or the client went away.
 */
export type RequestObserver = (request: Request, requestId: string | undefined, respond: () => Response | Promise<Response>) => Promise<Response>

/**
 * Logs each request once its body has been sent or the client went away (with its request
 * id, which the response carries as `X-Request-Id`, and in the metrics when on), tells the
 * readiness that Clerk answered, and replaces an error inside a response body (the upstream
 * broke off mid-body) with one that says only that: the runtime prints such errors, and the
 * original carries the upstream URL and query.
 *
 * @example
 * app.use(accessLog(logger, (message) => new Error(message), { requestIdOf, metrics, readiness }))
 */
export function accessLog(logger: Logger | undefined, bodyError: BodyErrorReason, { requestIdOf, ...observers }: AccessObservers = {}): MiddlewareHandler {
  const observe = requestObserver(logger, bodyError, observers)
  return async (c, next) => {
    c.res = await observe(c.req.raw, requestIdOf?.(c), async () => {
      await next()
      return c.res
    })
  }
}

/**
 * The {@link accessLog} without Hono: a standalone server's fast path wraps each request's
 * handling in it. Without a logger and metrics it only sets the request id and tells the
 * readiness, leaving small answers to the runtime's native send.
 *
 * @example
 * const observe = requestObserver(logger, bodyErrorLogged(logger), { metrics, readiness })
 * Bun.serve({ fetch: (request) => observe(request, crypto.randomUUID(), () => proxy(request)) })
 */
export function requestObserver(
  logger: Logger | undefined,
  bodyError: BodyErrorReason,
  { metrics, readiness }: Omit<AccessObservers, 'requestIdOf'> = {},
): RequestObserver {
  return async (request, requestId, respond) => {
    const started = performance.now()
    metrics?.requestStarted()
    let response = await respond()
    const upstreamMs = upstreamHeadersMs(request)
    const errorCode = proxyErrorCodeOf(response)
    if (upstreamMs !== undefined && errorCode === undefined) readiness?.upstreamAnswered()
    if (requestId !== undefined) response = withHeader(response, REQUEST_ID_HEADER, requestId)
    const body = response.body
    // Small answers were read whole before they were sent (see isSmallBody): they cannot break
    // off and hold no upstream connection, so without a logger there is nothing to count or
    // guard, and the runtime can send the buffer natively.
    const declared = body === null ? null : response.headers.get('content-length')
    const whole = body === null || (!logger && declared !== null && Number(declared) <= BUFFERED_BODY_LIMIT)
    if (whole && !logger && !metrics) return response
    const method = request.method
    const path = loggablePath(request.url)
    const status = response.status
    const log = (bytes: number, aborted: boolean): void => {
      const totalMs = performance.now() - started
      logger?.access({ method, path, status, upstreamMs, totalMs, bytes, aborted, requestId })
      metrics?.requestFinished({ method, path, status, upstreamMs, totalMs, bytesIn: Number(request.headers.get('content-length')) || 0, bytesOut: bytes, errorCode, aborted })
    }
    if (whole) {
      log(body === null ? 0 : Number(declared), false)
      return response
    }
    let bytes = 0
    let logged = false
    const once = (aborted: boolean): void => {
      if (logged) return
      logged = true
      log(bytes, aborted)
    }
    const reader = body!.getReader()
    const counted = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let result: { done: true; value?: undefined } | { done: false; value: Uint8Array }
        try {
          result = (await reader.read()) as typeof result
        } catch {
          once(true)
          return controller.error(bodyError(BODY_BROKE_OFF, { method, path }))
        }
        if (result.done) {
          once(false)
          return controller.close()
        }
        bytes += result.value.byteLength
        controller.enqueue(result.value)
      },
      cancel(reason) {
        once(true)
        return reader.cancel(reason).catch(() => {})
      },
    })
    // A client gone mid-response: let go of the upstream body too. Deno does not always cancel
    // a response body it has stopped sending, which would leave the upstream connection open.
    request.signal.addEventListener(
      'abort',
      () => {
        once(true)
        reader.cancel().catch(() => {})
      },
      { once: true },
    )
    return new Response(counted, response)
  }
}

/** Sets a response header, copying the response first when its headers are immutable. */
function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value)
    return response
  } catch {
    const copy = new Response(response.body, response)
    copy.headers.set(name, value)
    return copy
  }
}
