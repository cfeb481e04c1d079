/**
 * The access log of the fetch-based standalone servers (Bun, Deno): one line per request once
 * its body has been sent or the client went away, and a broken-off upstream body reported
 * without its URL.
 */
import type { MiddlewareHandler } from 'hono'
import { BUFFERED_BODY_LIMIT } from '../forward-fetch.ts'
import { createLogger, loggablePath, type LogFormat, type Logger } from '../log.ts'

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

/**
 * Logs each request once its body has been sent or the client went away, and replaces an
 * error inside a response body (the upstream broke off mid-body) with one that says only
 * that: the runtime prints such errors, and the original carries the upstream URL and query.
 *
 * @example
 * app.use(accessLog(logger, (message) => new Error(message)))
 */
export function accessLog(logger: Logger | undefined, bodyError: BodyErrorReason): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const method = c.req.method
    const path = loggablePath(c.req.url)
    const status = c.res.status
    const log = (bytes: number, aborted: boolean): void =>
      logger?.access({ method, path, status, upstreamMs: undefined, totalMs: performance.now() - started, bytes, aborted })
    const body = c.res.body
    if (body === null) return log(0, false)
    // Small answers were read whole before they were sent (see isSmallBody): they cannot break
    // off and hold no upstream connection, so without a logger there is nothing to count or
    // guard, and the runtime can send the buffer natively.
    const declared = c.res.headers.get('content-length')
    if (!logger && declared !== null && Number(declared) <= BUFFERED_BODY_LIMIT) return
    let bytes = 0
    let logged = false
    const once = (aborted: boolean): void => {
      if (logged) return
      logged = true
      log(bytes, aborted)
    }
    const reader = body.getReader()
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
    c.req.raw.signal.addEventListener(
      'abort',
      () => {
        once(true)
        reader.cancel().catch(() => {})
      },
      { once: true },
    )
    c.res = new Response(counted, c.res)
  }
}
