import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { decodeBody } from './encoding.ts'

/** What one request through the proxy got back, as raw as Node gives it. */
export interface ProbeResult {
  /** The URL requested. */
  readonly url: string
  /** Extra request headers sent (e.g. a forged X-Forwarded-For). */
  readonly requestHeaders: Readonly<Record<string, string>>
  /** HTTP status, or 0 when no answer arrived. */
  readonly status: number
  /** Lower-cased response headers; Set-Cookie stays an array, one entry per header line. */
  readonly headers: IncomingHttpHeaders
  /** The response body exactly as it crossed the wire (not decoded). */
  readonly body: Buffer
  /** Milliseconds until the whole body arrived. */
  readonly ms: number
  /** Why no answer arrived (connection refused, TLS error, timeout), when `status` is 0. */
  readonly error?: string
}

/** Options for {@link probe}. */
export interface ProbeOptions {
  readonly headers?: Readonly<Record<string, string>>
  /** Give up after this many milliseconds (default 15 s). */
  readonly timeoutMs?: number
  /** Stop reading after this many bytes (default 32 MiB). */
  readonly maxBytes?: number
}

/**
 * Sends one GET with node:http(s), without fetch's automatic decoding, so a check sees the
 * exact bytes and headers a browser would get. Never throws: failures come back as status 0
 * with `error` set.
 *
 * @example
 * const r = await probe('https://app.example.com/__clerk/v1/proxy-health')
 * if (r.status === 200) JSON.parse(r.body.toString('utf8'))
 */
export function probe(url: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const started = performance.now()
  const requestHeaders = { ...options.headers }
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024
  const failed = (error: string): ProbeResult => ({ url, requestHeaders, status: 0, headers: {}, body: Buffer.alloc(0), ms: performance.now() - started, error })
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return Promise.resolve(failed(`not a URL: ${url}`))
  }
  const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined
  if (!send) return Promise.resolve(failed(`unsupported protocol ${target.protocol}`))
  return new Promise((resolve) => {
    let settled = false
    const finish = (result: ProbeResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    // agent: false: a fresh connection per probe, like a first visit; nothing lingers afterwards.
    const req = send(target, { method: 'GET', headers: { 'user-agent': 'clerk-proxy-doctor', ...requestHeaders }, agent: false }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) return void req.destroy(new Error(`body larger than ${maxBytes} bytes`))
        chunks.push(chunk)
      })
      res.on('end', () =>
        finish({ url, requestHeaders, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - started }),
      )
      res.on('error', (error) => finish(failed(`the answer broke off: ${error.message}`)))
      res.on('aborted', () => finish(failed('the answer broke off before its end')))
    })
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 15_000} ms`)), options.timeoutMs ?? 15_000)
    req.on('error', (error: NodeJS.ErrnoException) => finish(failed(error.code && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message)))
    req.end()
  })
}

/**
 * Reads a probe's body as JSON (decoding gzip/br first when the server compressed it anyway),
 * or `undefined` when it is not JSON.
 *
 * @example
 * jsonBody(result)?.status === 'healthy'
 */
export function jsonBody(result: ProbeResult): unknown {
  const decoded = decodeBody(result.body, headerText(result.headers['content-encoding']))
  if (!decoded.ok) return undefined
  try {
    return JSON.parse(decoded.body.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

/**
 * A response header as one string (repeated headers joined with `, `), `''` when absent.
 *
 * @example
 * headerText(result.headers['content-type']) // 'application/json'
 */
export function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '')
}
