/**
 * One request as one stream on a `node:http2` session, answered as a fetch `Response` whose body
 * streams with backpressure (Bun's transport, {@link ./upstream.ts}). Written around what Bun's
 * `node:http2` does: a reset stream may end as if complete, and a stream closed cleanly may still
 * owe a paused reader its last bytes.
 */
import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'

/** Bytes of an answer queued for the client before the upstream stream is paused. */
const RESPONSE_HIGH_WATER_BYTES = 64 * 1024

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2) or carries as pseudo-headers. */
const NOT_IN_HTTP2 = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host'])
/** Answers that have no body whatever the upstream sends. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

/** An error of the upstream connection, with the code `describeTransportError` reports. */
export class UpstreamConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
    this.name = 'UpstreamConnectionError'
  }
}

/** The stream got no answer because the upstream refused it or its connection closed: safe to resend when idempotent. */
export class UnansweredError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message)
    this.name = 'UnansweredError'
  }
}

/**
 * Sends `init` as one stream on `session`; resolves with the answer's head, the body streaming after.
 *
 * @example
 * const response = await requestOnSession(session, new URL('https://frontend-api.clerk.services/v1/environment'), { headers })
 */
export function requestOnSession(session: ClientHttp2Session, target: URL, init: RequestInit): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase()
  const headers: OutgoingHttpHeaders = { ':method': method, ':path': target.pathname + target.search, ':authority': target.host, ':scheme': 'https' }
  const pairs: Iterable<[string, string]> = Array.isArray(init.headers) ? (init.headers as [string, string][]) : new Headers(init.headers)
  for (const [mixedCase, value] of pairs) {
    const name = mixedCase.toLowerCase()
    if (NOT_IN_HTTP2.has(name)) continue
    const previous = headers[name]
    headers[name] = previous === undefined ? value : ([] as string[]).concat(previous as string | string[], value)
  }
  const body = init.body
  if (body instanceof ArrayBuffer) headers['content-length'] = String(body.byteLength)
  const signal = init.signal ?? undefined
  if (signal?.aborted) return Promise.reject(signal.reason)

  return new Promise<Response>((resolve, reject) => {
    let stream: ClientHttp2Stream
    try {
      stream = session.request(headers, { endStream: body == null })
    } catch (error) {
      return reject(new UnansweredError(error as Error))
    }
    let answered = false
    let ended = false
    let bodyError: unknown
    const onAbort = (): void => {
      stream.close(constants.NGHTTP2_CANCEL)
      if (!answered) reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const done = (): void => signal?.removeEventListener('abort', onAbort)

    stream.once('response', (head: IncomingHttpHeaders) => {
      answered = true
      const status = Number(head[':status'])
      const responseHeaders = new Headers()
      for (const [name, value] of Object.entries(head)) {
        if (name.startsWith(':') || value === undefined) continue
        if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item)
        else responseHeaders.set(name, String(value))
      }
      if (method === 'HEAD' || NULL_BODY_STATUSES.has(status)) {
        stream.resume()
        stream.once('close', done)
        return resolve(new Response(null, { status, headers: responseHeaders }))
      }
      let finish: (error?: unknown) => void = () => {}
      const length = head['content-length']
      const declared = length === undefined || !/^\d+$/.test(String(length)) ? undefined : Number(length)
      let received = 0
      const answer = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            // Whatever ends the body ends it once; a throw in a stream event would end the process.
            finish = (error) => {
              if (ended) return
              ended = true
              done()
              try {
                if (error === undefined) controller.close()
                else controller.error(error)
              } catch {
                // The reader already went away.
              }
            }
            stream.on('data', (chunk: Buffer) => {
              if (ended) return
              received += chunk.byteLength
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
              if ((controller.desiredSize ?? 1) <= 0) stream.pause()
            })
            // Bun's node:http2 ends a stream the upstream reset (RST_STREAM) as if it were complete:
            // a declared length is the one way left to see that an answer was cut short.
            stream.once('end', () => finish(declared === undefined || received === declared ? undefined : truncatedError()))
            stream.once('close', () => {
              // Bun closes a stream that ended cleanly (NO_ERROR) before a paused reader has had its
              // last bytes and 'end': those still come. Any other close cuts the body short.
              if (stream.rstCode === constants.NGHTTP2_NO_ERROR && !signal?.aborted && !stream.readableEnded) return
              if (stream.readableEnded) return finish()
              finish(signal?.aborted ? signal.reason : connectionError(stream))
            })
          },
          pull() {
            stream.resume()
          },
          cancel() {
            finish()
            stream.close(constants.NGHTTP2_CANCEL)
          },
        },
        { highWaterMark: RESPONSE_HIGH_WATER_BYTES, size: (chunk) => chunk?.byteLength ?? 0 },
      )
      resolve(new Response(answer, { status, headers: responseHeaders }))
    })
    stream.on('error', () => {})
    stream.once('close', () => {
      if (answered) return
      done()
      if (signal?.aborted) return reject(signal.reason)
      if (bodyError !== undefined) return reject(bodyError)
      const error = connectionError(stream)
      // Refused, or cut before any answer: the upstream did not act on it (REFUSED_STREAM) or may have; only idempotent requests go again.
      reject(new UnansweredError(error))
    })

    if (body instanceof ArrayBuffer) stream.end(new Uint8Array(body))
    else if (body != null && !(body instanceof ReadableStream)) {
      // Any other BodyInit (a view, a Blob, text): read whole, as fetch would send it.
      new Response(body as BodyInit).arrayBuffer().then(
        (bytes) => stream.end(new Uint8Array(bytes)),
        (error: unknown) => {
          bodyError = error
          stream.close(constants.NGHTTP2_CANCEL)
        },
      )
    } else if (body instanceof ReadableStream) {
      sendBody(body, stream).catch((error: unknown) => {
        bodyError = error
        stream.close(constants.NGHTTP2_CANCEL)
      })
    }
  })
}

/** Writes a streamed request body to `stream`, waiting whenever the upstream's window is full. */
async function sendBody(body: ReadableStream<Uint8Array>, stream: ClientHttp2Stream): Promise<void> {
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (stream.closed || stream.destroyed) return void (await reader.cancel().catch(() => {}))
      if (done) return void stream.end()
      if (!stream.write(value)) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            stream.off('drain', go)
            stream.off('close', go)
            resolve()
          }
          stream.on('drain', go)
          stream.on('close', go)
        })
      }
    }
  } finally {
    reader.releaseLock()
  }
}

/** An answer that ended before its declared `Content-Length`. */
function truncatedError(): Error {
  return new UpstreamConnectionError('the upstream answer ended before its Content-Length', 'ECONNRESET')
}

/** Why a stream ended without its answer, as an error whose code says so. */
function connectionError(stream: ClientHttp2Stream): Error {
  const code = stream.rstCode === constants.NGHTTP2_REFUSED_STREAM ? 'REFUSED_STREAM' : stream.session?.destroyed ? 'ECONNRESET' : 'HTTP2_STREAM_RESET'
  return new UpstreamConnectionError('the upstream connection closed before the answer was complete', code)
}
