import { proxyErrorResponse } from './errors.ts'

/** Why an upstream request ended without an answer. */
export type UpstreamFailure = 'timeout' | 'client_aborted' | 'failed'

/** The reason given to `AbortController.abort()` when the upstream timeout fires. */
export class UpstreamTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Clerk did not answer within ${timeoutMs} ms`)
    this.name = 'UpstreamTimeoutError'
  }
}

/**
 * A short, secret-free description of a transport error: its name and, where present, the
 * system error code of its cause (`ECONNREFUSED`, `UND_ERR_SOCKET`, …).
 *
 * @example
 * describeTransportError(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })) // 'TypeError (ECONNREFUSED)'
 */
export function describeTransportError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error'
  const codes: string[] = []
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) codes.push(code)
  }
  return codes.length > 0 ? `${error.name} (${codes.join(', ')})` : error.name
}

/**
 * The response for a request that got no upstream answer: `504 proxy_timeout` or
 * `502 proxy_request_failed` in Clerk's error shape.
 *
 * @example
 * return upstreamFailureResponse('timeout', 30000, error)
 */
export function upstreamFailureResponse(failure: UpstreamFailure, timeoutMs: number, error: unknown): Response {
  if (failure === 'timeout') {
    return proxyErrorResponse(504, 'proxy_timeout', 'Clerk did not answer in time', `The Frontend API did not answer within ${timeoutMs} ms.`)
  }
  return proxyErrorResponse(
    502,
    'proxy_request_failed',
    'Could not reach Clerk',
    `The request to the Frontend API failed: ${describeTransportError(error)}.`,
  )
}
