/**
 * The request body the proxy sends upstream: whole or not at all. It is held to its declared
 * `Content-Length` and to every limit in the chain (the proxy's and the framework's in front),
 * so a body a framework cut short, or a client left unfinished, never reaches Clerk as complete.
 */
import { BodyTooLargeError, cutByNextResponse, declaredLength, lengthMismatchResponse, type BodyLimits } from './request-limits.ts'

/**
 * How far short of its limit a body Next.js cut can end. Next.js copies the body to middleware
 * chunk by chunk and, at the first chunk that would cross the limit, drops it and ends the
 * copy: the cut body is at most one socket read (64 KiB) shorter than the limit. A body without
 * a declared length that ends this close to the limit cannot be told from a cut one.
 */
export const NEXT_CUT_MARGIN_BYTES: number = 64 * 1024

/**
 * Raised inside a request body stream that cannot be forwarded as it is: its length differs
 * from the declared one, or, undeclared, it came close enough to Next.js's limit to have been
 * cut. Carries the answer for the client.
 */
export class BodyRefusedError extends Error {
  /** The error response for the client, in Clerk's shape. */
  readonly response: Response

  /** Wraps the answer; the message is for logs and holds only byte counts. */
  constructor(response: Response, reason: string) {
    super(reason)
    this.name = 'BodyRefusedError'
    this.response = response
  }
}

/**
 * Passes a request body through while holding it to every limit: past `maxBodyBytes` it errors
 * with a {@link BodyTooLargeError}; a length other than the declared `Content-Length`, or an
 * undeclared length within {@link NEXT_CUT_MARGIN_BYTES} of Next.js's limit, errors with a
 * {@link BodyRefusedError}. On any failure, the client's body breaking included, `onFailed` runs
 * before the stream errors: it aborts the upstream request for a refusal, and for a broken body
 * where the runtime's fetch would otherwise end the upstream body as if it were whole (workerd).
 *
 * @example
 * const body = checkedBody(request.body, request.headers.get('content-length'), config, (error) => controller.abort(error))
 */
export function checkedBody(
  body: ReadableStream<Uint8Array>,
  contentLength: string | null | undefined,
  limits: BodyLimits,
  onFailed: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  const declared = declaredLength(contentLength)
  // A declared length was held to both limits up front; an undeclared one may end just short of Next.js's cut.
  const suspectFrom = limits.nextMaxBodyBytes - NEXT_CUT_MARGIN_BYTES
  const reader = body.getReader()
  let seen = 0
  const refusal = (done: boolean): BodyTooLargeError | BodyRefusedError | undefined => {
    if (declared !== undefined) {
      if (seen > declared) return new BodyRefusedError(lengthMismatchResponse(declared, `more than ${declared}`), 'request body longer than its Content-Length')
      if (done && seen < declared) return new BodyRefusedError(lengthMismatchResponse(declared, String(seen)), 'request body shorter than its Content-Length')
      return undefined
    }
    if (seen > limits.maxBodyBytes) return new BodyTooLargeError(limits.maxBodyBytes)
    if (seen < suspectFrom) return undefined
    const what = `has no declared length and reached ${seen} bytes, within ${NEXT_CUT_MARGIN_BYTES} bytes of that limit`
    return new BodyRefusedError(cutByNextResponse(limits, what), 'request body may have been cut by Next.js')
  }
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: unknown): void => {
    onFailed(error)
    controller.error(error)
    reader.cancel(error).catch(() => undefined)
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const read = await reader.read().catch((error: unknown) => ({ broken: error }))
      if ('broken' in read) return fail(controller, read.broken)
      if (!read.done) seen += read.value.byteLength
      const error = refusal(read.done)
      if (error) return fail(controller, error)
      if (read.done) controller.close()
      else controller.enqueue(read.value)
    },
    cancel(reason) {
      return reader.cancel(reason)
    },
  })
}

/**
 * Declared request bodies up to this size are read whole and sent upstream as one buffer: the
 * runtime reads and sends it natively, far faster than through a JS stream, and nearly every
 * Frontend API request body (a sign-in form) is a few hundred bytes.
 */
export const BUFFERED_REQUEST_BODY_LIMIT: number = 64 * 1024

/**
 * The request body to send upstream, held to its declared length and the limits: a declared
 * body of at most {@link BUFFERED_REQUEST_BODY_LIMIT} is read whole (until `signal` aborts) and
 * its length checked; a larger declared one from a server that frames bodies itself (`framed`)
 * goes as the runtime's own stream; any other is streamed through {@link checkedBody}. Every
 * failure runs `onFailed` first (it should abort the upstream request) and then throws or
 * errors the stream.
 *
 * `framed` means the request came straight from the runtime's HTTP/1.1 server (Bun.serve): it
 * reads a body with a declared `Content-Length` to exactly that length, never past it, and
 * errors the body when the client leaves before the end, which makes the runtime's fetch abort
 * the upstream request. The declared length was already held to the limits (`refuseRequest`),
 * so counting every chunk in a JS stream would only repeat what the server guarantees.
 *
 * @example
 * const body = await upstreamBody(request, config, controller.signal, (error) => controller.abort(error))
 */
export async function upstreamBody(
  request: Request,
  limits: BodyLimits,
  signal: AbortSignal,
  onFailed: (error: unknown) => void,
  framed = false,
): Promise<ArrayBuffer | ReadableStream<Uint8Array>> {
  const contentLength = request.headers.get('content-length')
  const declared = declaredLength(contentLength)
  if (framed && declared !== undefined && contentLength === String(declared) && declared > BUFFERED_REQUEST_BODY_LIMIT && declared <= limits.maxBodyBytes && declared <= limits.nextMaxBodyBytes) return request.body!
  if (declared === undefined || declared > BUFFERED_REQUEST_BODY_LIMIT) return checkedBody(request.body!, contentLength, limits, onFailed)
  let whole: ArrayBuffer
  try {
    whole = await untilAborted(request.arrayBuffer(), signal)
  } catch (error) {
    onFailed(error)
    throw error
  }
  if (whole.byteLength === declared) return whole
  const received = whole.byteLength > declared ? `more than ${declared}` : String(whole.byteLength)
  const error = new BodyRefusedError(lengthMismatchResponse(declared, received), 'request body does not match its Content-Length')
  onFailed(error)
  throw error
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
