/**
 * The access log and notices of the standalone servers (Node, Bun, Deno) and the CLI: one line
 * per event, as JSON or plain text, never carrying a query string, header, cookie or secret.
 */

/** How a server writes its access log and notices. */
export type LogFormat = 'json' | 'pretty' | 'off'

/** One access-log line. Deliberately no query string, headers or cookies: they carry tokens. */
export interface AccessLogEntry {
  /** The request method. */
  readonly method: string
  /** The request path without its query string. */
  readonly path: string
  /** The status code sent to the client. */
  readonly status: number
  /** Milliseconds until Clerk's response headers arrived; absent when nothing went upstream. */
  readonly upstreamMs: number | undefined
  /** Milliseconds from the request's arrival until the response ended. */
  readonly totalMs: number
  /** Response body bytes sent. */
  readonly bytes: number
  /** True when the client went away before the response was complete. */
  readonly aborted: boolean
  /** The request id sent back as `X-Request-Id` (a trusted proxy's, or made by the server). */
  readonly requestId?: string
}

/** Receives log lines; `write` defaults to standard output. */
export interface Logger {
  /** Called once per finished (or aborted) proxied request. */
  access(entry: AccessLogEntry): void
  /** A notice such as "listening on …" or "shutting down". */
  info(message: string, fields?: Readonly<Record<string, string | number | boolean>>): void
  /** A failure worth an operator's attention; never carries the secret key. */
  error(message: string, fields?: Readonly<Record<string, string | number | boolean>>): void
}

const round = (ms: number): number => Math.round(ms * 10) / 10

/**
 * A logger writing one line per event, as JSON (for log collectors) or as plain text.
 *
 * @example
 * const logger = createLogger('pretty')
 * logger.info('listening', { url: 'http://127.0.0.1:3000' })
 */
export function createLogger(format: LogFormat, write: (line: string) => void = (line) => console.log(line)): Logger {
  if (format === 'off') return { access() {}, info() {}, error() {} }
  if (format === 'json') {
    const line = (level: string, msg: string, fields?: object): void =>
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }))
    return {
      access: (e) => line('info', 'request', { ...e, upstreamMs: e.upstreamMs === undefined ? undefined : round(e.upstreamMs), totalMs: round(e.totalMs) }),
      info: (msg, fields) => line('info', msg, fields),
      error: (msg, fields) => line('error', msg, fields),
    }
  }
  const text = (fields?: Readonly<Record<string, string | number | boolean>>): string =>
    fields ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ') : ''
  return {
    access: (e) =>
      write(
        `${e.method} ${e.path} ${e.status} upstream=${e.upstreamMs === undefined ? '-' : round(e.upstreamMs) + 'ms'} total=${round(e.totalMs)}ms bytes=${e.bytes}${e.requestId ? ` id=${e.requestId}` : ''}${e.aborted ? ' aborted' : ''}`,
      ),
    info: (msg, fields) => write(`${msg}${text(fields)}`),
    error: (msg, fields) => write(`error: ${msg}${text(fields)}`),
  }
}

/**
 * The path of a request target without its query string or fragment, for logging.
 *
 * @example
 * loggablePath('/__clerk/v1/client?__clerk_db_jwt=secret') // '/__clerk/v1/client'
 */
export function loggablePath(target: string): string {
  const end = target.search(/[?#]/)
  const path = end < 0 ? target : target.slice(0, end)
  // Absolute-form targets: log only the path.
  const scheme = path.indexOf('://')
  if (scheme < 0) return path
  const slash = path.indexOf('/', scheme + 3)
  return slash < 0 ? '/' : path.slice(slash)
}
