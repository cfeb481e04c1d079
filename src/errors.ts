/** Codes of the errors the proxy answers itself, in Clerk's error shape. */
export type ProxyErrorCode =
  | 'proxy_configuration_error'
  | 'proxy_request_failed'
  | 'proxy_timeout'
  | 'proxy_bad_request'
  | 'proxy_method_not_allowed'
  | 'proxy_payload_too_large'

/** The body of every error the proxy makes itself: the shape Clerk's clients already parse. */
export interface ClerkErrorBody {
  /** One entry per error; the proxy always sends exactly one. */
  errors: { code: ProxyErrorCode; message: string; long_message: string }[]
}

/**
 * Builds the JSON body of a proxy error.
 *
 * @example
 * errorBody('proxy_timeout', 'Upstream timed out', 'Clerk did not answer within 30000 ms')
 */
export function errorBody(code: ProxyErrorCode, message: string, longMessage: string): string {
  const body: ClerkErrorBody = { errors: [{ code, message, long_message: longMessage }] }
  return JSON.stringify(body)
}

/** Headers every proxy-made error carries: JSON, never cached. */
export const ERROR_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
})

/**
 * A `Response` in Clerk's error shape with `Cache-Control: no-store`.
 *
 * @example
 * return proxyErrorResponse(502, 'proxy_request_failed', 'Could not reach Clerk', 'ECONNREFUSED')
 */
export function proxyErrorResponse(
  status: number,
  code: ProxyErrorCode,
  message: string,
  longMessage: string = message,
): Response {
  const response = new Response(errorBody(code, message, longMessage), { status, headers: ERROR_HEADERS })
  errorCodes.set(response, code)
  return response
}

// Which responses the proxy made itself, and with what code: for the errors metric, without
// reading the body back.
const errorCodes = new WeakMap<Response, ProxyErrorCode>()

/**
 * The proxy's error code when `response` was made by {@link proxyErrorResponse}.
 *
 * @example
 * proxyErrorCodeOf(proxyErrorResponse(504, 'proxy_timeout', 'Timeout')) // 'proxy_timeout'
 */
export function proxyErrorCodeOf(response: Response): ProxyErrorCode | undefined {
  return errorCodes.get(response)
}

/**
 * The answer when something in front of the proxy (a body parser, a middleware that read the
 * request) already consumed the request body: forwarding would send Clerk an empty body, so a
 * sign-in would fail with a confusing Clerk error instead of this one.
 *
 * @example
 * if (request.bodyUsed) return bodyAlreadyReadResponse()
 */
export function bodyAlreadyReadResponse(): Response {
  return proxyErrorResponse(
    500,
    'proxy_configuration_error',
    'The Clerk proxy is misconfigured',
    'The request body was read before the Clerk proxy saw it: mount the proxy middleware before body parsers such as express.json() and before any middleware that reads the body.',
  )
}

/**
 * Thrown when the configuration is missing or malformed. Its message names the variable or
 * option at fault and never contains the secret key.
 *
 * @example
 * try {
 *   resolveConfig({ env: {} })
 * } catch (error) {
 *   if (error instanceof ConfigurationError) console.error(error.problems) // ['CLERK_SECRET_KEY is required']
 * }
 */
export class ConfigurationError extends Error {
  /** Each problem found, e.g. `CLERK_SECRET_KEY is required`. */
  readonly problems: readonly string[]

  /** Builds the error from the list of problems; the message lists them one a line. */
  constructor(problems: readonly string[]) {
    super(`Invalid Clerk proxy configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigurationError'
    this.problems = problems
  }
}
