import { proxyErrorResponse } from './errors.ts'

/** Default limit on a request body: 10 MiB, above Clerk's largest upload (a 10 MB image). */
export const DEFAULT_MAX_BODY_BYTES: number = 10 * 1024 * 1024

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
}

/**
 * Parses a byte size: a number of bytes, or a string like `"10mb"`, `"512 KiB"`, `"1048576"`
 * (units are binary: `kb` = 1024). `0` means no limit (returned as `Infinity`). Returns
 * `undefined` for anything else.
 *
 * @example
 * parseByteSize('10mb') // 10485760
 * parseByteSize(0)      // Infinity
 */
export function parseByteSize(value: number | string): number | undefined {
  let bytes: number
  if (typeof value === 'number') bytes = value
  else {
    const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim())
    const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined
    if (!match || unit === undefined) return undefined
    bytes = Number(match[1]) * unit
  }
  if (!Number.isFinite(bytes) || bytes < 0) return undefined
  return bytes === 0 ? Infinity : Math.floor(bytes)
}

/**
 * Whether a path holds a `%` not followed by two hexadecimal digits. Such a path means
 * different things to different parsers, so the proxy refuses it rather than guess.
 *
 * @example
 * hasMalformedPercentEncoding('/v1/client%2Fx') // false
 * hasMalformedPercentEncoding('/v1/%zz')        // true
 */
export function hasMalformedPercentEncoding(path: string): boolean {
  for (let i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
    if (!isHex(path.charCodeAt(i + 1)) || !isHex(path.charCodeAt(i + 2))) return true
  }
  return false
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102)
}

/**
 * Whether the `Upgrade` header asks for a WebSocket. Clerk's Frontend API has none, and a
 * proxy that half-forwards an upgrade leaves both ends waiting, so such requests are refused.
 *
 * @example
 * isWebSocketUpgrade('websocket') // true
 * isWebSocketUpgrade('h2c')       // false (ignored: answered as plain HTTP/1.1)
 */
export function isWebSocketUpgrade(upgrade: string | undefined): boolean {
  return upgrade !== undefined && /(?:^|,)\s*websocket\s*(?:\/[^,]*)?(?:,|$)/i.test(upgrade)
}

/**
 * The answer for a body over the limit: `413 proxy_payload_too_large`, closing the connection
 * so the unread rest of the body is never read.
 *
 * @example
 * return payloadTooLargeResponse(10485760)
 */
export function payloadTooLargeResponse(maxBodyBytes: number): Response {
  const response = proxyErrorResponse(
    413,
    'proxy_payload_too_large',
    'Request body too large',
    `The Clerk proxy accepts request bodies up to ${maxBodyBytes} bytes.`,
  )
  response.headers.set('connection', 'close')
  return response
}

/**
 * Checks what can be checked before anything goes upstream: a malformed path, a WebSocket
 * upgrade, a declared `Content-Length` over the limit. Returns the error response to send,
 * or `undefined` when the request may go on. A chunked body is counted while it streams
 * (see {@link limitBodyStream}).
 *
 * @example
 * const refused = refuseRequest(path, (name) => request.headers.get(name) ?? undefined, config.maxBodyBytes)
 * if (refused) return refused
 */
export function refuseRequest(path: string, header: (name: string) => string | undefined, maxBodyBytes: number): Response | undefined {
  if (hasMalformedPercentEncoding(path)) {
    return proxyErrorResponse(400, 'proxy_bad_request', 'Malformed request path', 'The request path contains a "%" that is not followed by two hexadecimal digits.')
  }
  if (isWebSocketUpgrade(header('upgrade'))) {
    const response = proxyErrorResponse(400, 'proxy_bad_request', 'WebSocket upgrades are not proxied', 'The Clerk Frontend API does not use WebSockets; the proxy refuses upgrade requests.')
    response.headers.set('connection', 'close')
    return response
  }
  const length = header('content-length')
  if (length !== undefined && maxBodyBytes !== Infinity) {
    const declared = Number(length.split(',')[0])
    if (declared > maxBodyBytes) return payloadTooLargeResponse(maxBodyBytes)
  }
  return undefined
}

/** Raised inside a request body stream when it grows past the limit. */
export class BodyTooLargeError extends Error {
  constructor(maxBodyBytes: number) {
    super(`request body larger than ${maxBodyBytes} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

/**
 * Passes a request body through while counting it; past `maxBodyBytes` it calls `onTooLarge`
 * (which should abort the upstream request) and errors the stream with a
 * {@link BodyTooLargeError}. Only bodies without a declared length need this: the runtime
 * already holds a declared one to its `Content-Length`, checked up front by {@link refuseRequest}.
 *
 * @example
 * const body = limitBodyStream(request.body, config.maxBodyBytes, (error) => controller.abort(error))
 */
export function limitBodyStream(
  body: ReadableStream<Uint8Array>,
  maxBodyBytes: number,
  onTooLarge: (error: BodyTooLargeError) => void,
): ReadableStream<Uint8Array> {
  if (maxBodyBytes === Infinity) return body
  let seen = 0
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength
        if (seen <= maxBodyBytes) return controller.enqueue(chunk)
        const error = new BodyTooLargeError(maxBodyBytes)
        onTooLarge(error)
        controller.error(error)
      },
    }),
  )
}
