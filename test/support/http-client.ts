/**
 * A raw HTTP/1.1 client for tests: sends the request target and headers exactly as given (no
 * URL normalization, no decoding of the answer), so tests see the bytes a browser would.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'

export interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** Header names and values in order, repeats kept apart. */
  readonly rawHeaders: readonly string[]
  /** The body bytes exactly as they crossed the wire (after de-chunking). */
  readonly body: Buffer
  /** The headers and body as text, for "contains" checks. */
  readonly text: string
}

export interface RawRequest {
  readonly method?: string
  /** The request target as sent: `/__clerk/x?y`, `//evil`, or an absolute URL. */
  readonly target: string
  /** Headers as sent; arrays send the header several times. */
  readonly headers?: Record<string, string | string[]>
  readonly body?: Buffer | string
  readonly timeoutMs?: number
}

/**
 * Sends one request over a fresh connection and reads the whole answer.
 *
 * @example
 * const res = await sendRaw(proxy.url, { target: '/__clerk/v1/client' })
 */
export function sendRaw(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const base = new URL(baseUrl)
  const headers: Record<string, string | string[]> = { ...req.headers }
  // Node sends DELETE/OPTIONS bodies unframed unless told their length.
  if (req.body !== undefined && !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))) {
    headers['content-length'] = String(Buffer.byteLength(req.body))
  }
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: req.method ?? 'GET',
        path: req.target,
        headers,
        agent: false,
        setHost: !Object.keys(req.headers ?? {}).some((h) => h.toLowerCase() === 'host'),
        timeout: req.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            text: res.rawHeaders.join('\n') + '\n\n' + body.toString('latin1'),
          })
        })
        res.on('error', reject)
      },
    )
    r.on('timeout', () => r.destroy(new Error(`no answer to ${req.target} within ${req.timeoutMs ?? 15_000} ms`)))
    r.on('error', reject)
    r.end(req.body)
  })
}

/**
 * Writes bytes on a raw TCP connection and collects what comes back until the server closes
 * or `timeoutMs` passes: for request lines no HTTP client would send.
 *
 * @example
 * const answer = await sendBytes(proxy.url, 'GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n')
 */
export function sendBytes(baseUrl: string, bytes: string, timeoutMs = 15_000): Promise<string> {
  const base = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(base.port), base.hostname)
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(), timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
    socket.on('error', reject)
    socket.write(bytes)
  })
}

/** Every value of a header in a raw header list (case-insensitive). */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const out: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) out.push(rawHeaders[i + 1]!)
  return out
}
