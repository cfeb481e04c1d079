import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { errorBody, type ProxyErrorCode } from '../errors.ts'

/** A parse error as Node's HTTP server reports it to `clientError`. */
type ClientError = Error & { code?: string; rawPacket?: Buffer }

/**
 * The status for a request Node's parser refused. Node folds the request line into its
 * header-size limit; a request line taking half of that limit or more is answered `414`, other
 * oversized heads `431`, as nginx does.
 *
 * @example
 * clientErrorStatus({ code: 'HPE_HEADER_OVERFLOW', rawPacket }, 16384) // 414 or 431
 */
export function clientErrorStatus(error: ClientError, maxHeaderSize: number): number {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW': {
      const packet = error.rawPacket
      const lineEnd = packet ? packet.indexOf('\r\n') : -1
      return lineEnd < 0 || lineEnd >= maxHeaderSize / 2 ? 414 : 431
    }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408
    default:
      return 400
  }
}

/** A complete HTTP/1.1 error response in Clerk's error shape that closes the connection. */
function rawErrorResponse(status: number, code: ProxyErrorCode, message: string, extra = ''): string {
  const body = errorBody(code, message, message)
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n' +
    `${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

const MESSAGES: Readonly<Record<number, string>> = {
  400: 'Malformed HTTP request',
  408: 'The request did not arrive in time',
  413: 'Request too large',
  414: 'Request line too long',
  431: 'Request headers too large',
}

/**
 * Makes the server answer what never reaches the request handler in Clerk's error shape and
 * close the connection: requests Node's parser refuses (oversized head `414`/`431`, slow
 * head or body `408`, malformed `400`) and `CONNECT` (`405`; Node would otherwise drop the
 * socket without a word). The connection is destroyed at once when a response is already
 * under way on it or the peer is gone.
 *
 * `onRefused` hears of each refusal (status, Node's error code and the proxy's error code;
 * nothing from the request).
 *
 * @example
 * refuseUnservableRequests(server, 16384, (status, reason) => logger.info('refused', { status, reason }))
 */
export function refuseUnservableRequests(
  server: Server,
  maxHeaderSize: number,
  onRefused: (status: number, reason: string, code: ProxyErrorCode) => void = () => {},
): void {
  server.on('clientError', (error: ClientError, socket: Duplex) => {
    const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
    if (error.code === 'ECONNRESET' || !socket.writable || busy) return void socket.destroy()
    const status = clientErrorStatus(error, maxHeaderSize)
    // Only the status and Node's error code: the request itself may carry tokens.
    const code = status === 413 ? 'proxy_payload_too_large' : 'proxy_bad_request'
    onRefused(status, error.code ?? 'unknown', code)
    socket.end(rawErrorResponse(status, code, MESSAGES[status] ?? 'Bad request'))
  })
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    onRefused(405, 'CONNECT', 'proxy_method_not_allowed')
    socket.on('error', () => socket.destroy())
    socket.end(
      rawErrorResponse(405, 'proxy_method_not_allowed', 'CONNECT is not allowed', 'Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n'),
    )
  })
}
