import { proxyErrorResponse, type ProxyErrorCode } from './errors.ts'

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

/** The limits a request body is held to: the proxy's own and the framework's in front of it. */
export interface BodyLimits {
  /** Largest body the proxy accepts (`CLERK_PROXY_MAX_BODY`; `Infinity`: none). */
  readonly maxBodyBytes: number
  /** Where Next.js cuts bodies short (`CLERK_PROXY_NEXT_MAX_BODY`; `Infinity`: not behind Next.js). */
  readonly nextMaxBodyBytes: number
}

/**
 * The answer for a body over the limit: `413 proxy_payload_too_large`, closing the connection
 * so the unread rest of the body is never read.
 *
 * @example
 * return payloadTooLargeResponse(10485760)
 */
export function payloadTooLargeResponse(maxBodyBytes: number): Response {
  return closing(413, 'proxy_payload_too_large', 'Request body too large', `The Clerk proxy accepts request bodies up to ${maxBodyBytes} bytes.`)
}

/**
 * The answer for a body Next.js cut (or may have cut) short: `413 proxy_payload_too_large`
 * naming both limits and the `next.config` setting that raises Next.js's.
 *
 * @example
 * return cutByNextResponse({ maxBodyBytes: 10485760, nextMaxBodyBytes: 1048576 }, 'declares 2000000 bytes')
 */
export function cutByNextResponse(limits: BodyLimits, what: string): Response {
  const own = limits.maxBodyBytes === Infinity ? 'no limit of its own' : `up to ${limits.maxBodyBytes} bytes (CLERK_PROXY_MAX_BODY)`
  return closing(
    413,
    'proxy_payload_too_large',
    'Request body too large for Next.js',
    `Next.js hands the Clerk proxy only the first ${limits.nextMaxBodyBytes} bytes of a request body ` +
      `(experimental.proxyClientMaxBodySize in next.config, told to the proxy as CLERK_PROXY_NEXT_MAX_BODY) ` +
      `and the proxy accepts ${own}. This body ${what}, so it may have been cut short and was not forwarded. ` +
      `To accept larger bodies, raise experimental.proxyClientMaxBodySize in next.config and set CLERK_PROXY_NEXT_MAX_BODY ` +
      `(and CLERK_PROXY_MAX_BODY) to match.`,
  )
}

/**
 * The answer for a body whose length differs from its declared `Content-Length`:
 * `400 proxy_bad_request`; an incomplete body is never forwarded as if it were whole.
 *
 * @example
 * return lengthMismatchResponse(1000, '640')
 */
export function lengthMismatchResponse(declared: number, received: string): Response {
  return closing(
    400,
    'proxy_bad_request',
    'Request body does not match its Content-Length',
    `The request declared Content-Length: ${declared} but its body had ${received} bytes; the Clerk proxy does not forward it.`,
  )
}

function closing(status: number, code: ProxyErrorCode, message: string, longMessage: string): Response {
  const response = proxyErrorResponse(status, code, message, longMessage)
  response.headers.set('connection', 'close')
  return response
}

/**
 * The `Content-Length` a request declares: a non-negative integer (the first of a repeated
 * list), or `undefined` when absent or malformed.
 *
 * @example
 * declaredLength('1024') // 1024
 */
export function declaredLength(header: string | undefined | null): number | undefined {
  if (header === undefined || header === null) return undefined
  const first = header.split(',')[0]!.trim()
  return /^\d+$/.test(first) ? Number(first) : undefined
}

/**
 * Checks what can be checked before anything goes upstream: a malformed path, a WebSocket
 * upgrade, a declared `Content-Length` over the proxy's limit or over Next.js's (which would
 * cut it). Returns the error response to send, or `undefined` when the request may go on.
 * The body itself is counted while it streams (see `checkedBody` in request-body.ts).
 *
 * @example
 * const refused = refuseRequest(path, (name) => request.headers.get(name) ?? undefined, config)
 * if (refused) return refused
 */
export function refuseRequest(path: string, header: (name: string) => string | undefined, limits: BodyLimits): Response | undefined {
  if (hasMalformedPercentEncoding(path)) {
    return proxyErrorResponse(400, 'proxy_bad_request', 'Malformed request path', 'The request path contains a "%" that is not followed by two hexadecimal digits.')
  }
  if (isWebSocketUpgrade(header('upgrade'))) {
    return closing(400, 'proxy_bad_request', 'WebSocket upgrades are not proxied', 'The Clerk Frontend API does not use WebSockets; the proxy refuses upgrade requests.')
  }
  const declared = declaredLength(header('content-length'))
  if (declared !== undefined && declared > limits.maxBodyBytes) return payloadTooLargeResponse(limits.maxBodyBytes)
  if (declared !== undefined && declared > limits.nextMaxBodyBytes) return cutByNextResponse(limits, `declares ${declared} bytes`)
  return undefined
}

/** Raised inside a request body stream when it grows past the limit. */
export class BodyTooLargeError extends Error {
  constructor(maxBodyBytes: number) {
    super(`request body larger than ${maxBodyBytes} bytes`)
    this.name = 'BodyTooLargeError'
  }
}
