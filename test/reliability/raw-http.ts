/**
 * A deliberately naive HTTP/1.1 client over a raw TCP socket, for requests no well-behaved
 * client would send: any method, request target, header spelling or body framing. Works
 * against any server given its base URL, so the hostile suites run against every runtime.
 */
import { connect, type Socket } from 'node:net'

/** What came back on the socket. */
export interface RawResponse {
  /** 0 when the connection closed before a status line arrived. */
  readonly status: number
  /** Lower-cased names; repeats kept in order. */
  readonly headers: Record<string, string[]>
  readonly body: Buffer
  /** Every byte received, as latin1 text (for "never contains" checks). */
  readonly raw: string
  /** Responses before the final one (e.g. `100 Continue`). */
  readonly interim: number[]
  /** Milliseconds until the socket closed (or the timeout hit). */
  readonly ms: number
  /** True when the socket was still open at the timeout. */
  readonly timedOut: boolean
  /** True when the client closed the connection itself once the answer was complete (`leaveOnceAnswered`). */
  readonly leftByClient?: boolean
}

/** Host and port of a base URL like `http://127.0.0.1:3000`. */
export function endpoint(baseUrl: string): { host: string; port: number } {
  const url = new URL(baseUrl)
  return { host: url.hostname, port: Number(url.port) }
}

/**
 * Writes `head` (request line and header lines, without the final blank line) and `body`,
 * then reads until the server closes the connection or `timeoutMs` passes (default 15 s, a
 * bound for a hang, generous for a loaded machine). Add `Connection: close` yourself when you
 * want the server to close after answering, or pass `leaveOnceAnswered` for a server that keeps
 * the connection open: the client leaves once a framed answer is complete.
 *
 * @example
 * const res = await rawRequest(url, 'GET /__clerk/v1/client HTTP/1.1\r\nHost: x\r\nConnection: close')
 */
export function rawRequest(
  baseUrl: string,
  head: string,
  body: Buffer | string = '',
  options: { timeoutMs?: number; onSocket?: (socket: Socket) => void; leaveOnceAnswered?: boolean } = {},
): Promise<RawResponse> {
  const { host, port } = endpoint(baseUrl)
  const started = performance.now()
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const socket = connect({ host, port })
    let done = false
    const finish = (timedOut: boolean, leftByClient = false): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const response = parseResponse(Buffer.concat(chunks), performance.now() - started, timedOut)
      resolve(leftByClient ? { ...response, leftByClient } : response)
    }
    const timer = setTimeout(() => finish(true), options.timeoutMs ?? 15_000)
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      if (options.leaveOnceAnswered && answered(parseResponse(Buffer.concat(chunks), 0, false), head.startsWith('HEAD '))) finish(false, true)
    })
    socket.on('close', () => finish(false))
    socket.on('error', () => finish(false))
    socket.on('connect', () => {
      socket.write(Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')]))
      options.onSocket?.(socket)
    })
  })
}

/** Whether a final response and its whole body (by Content-Length, or up to the last chunk) are in. */
function answered(response: RawResponse, headOnly: boolean): boolean {
  if (response.status < 200) return false
  if (headOnly || response.status === 204 || response.status === 304) return true
  if (response.headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) return /\r\n0\r\n(?:[^\r\n]+\r\n)*\r\n$/.test(response.raw)
  const length = Number(response.headers['content-length']?.[0] ?? NaN)
  return Number.isFinite(length) && response.body.length >= length
}

/** Parses one or more responses received on a socket; the last complete head wins. */
export function parseResponse(bytes: Buffer, ms: number, timedOut: boolean): RawResponse {
  const raw = bytes.toString('latin1')
  const interim: number[] = []
  let offset = 0
  for (;;) {
    const headEnd = raw.indexOf('\r\n\r\n', offset)
    if (headEnd < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), raw, interim, ms, timedOut }
    const lines = raw.slice(offset, headEnd).split('\r\n')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0)
    if (status >= 100 && status < 200) {
      interim.push(status)
      offset = headEnd + 4
      continue
    }
    const headers: Record<string, string[]> = {}
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim().toLowerCase()
      ;(headers[name] ??= []).push(line.slice(colon + 1).trim())
    }
    let body = bytes.subarray(headEnd + 4)
    if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) body = dechunk(body)
    return { status, headers, body, raw, interim, ms, timedOut }
  }
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = []
  let i = 0
  while (i < data.length) {
    const lineEnd = data.indexOf('\r\n', i)
    if (lineEnd < 0) break
    const size = parseInt(data.subarray(i, lineEnd).toString('latin1'), 16)
    if (!(size > 0)) break
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size))
    i = lineEnd + 2 + size + 2
  }
  return Buffer.concat(out)
}

/** The parsed JSON body, or undefined when it is not JSON. */
export function jsonBody(response: RawResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'))
  } catch {
    return undefined
  }
}
