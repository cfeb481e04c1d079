/**
 * Passes a response body through, calling `onIdle` when no chunk has arrived for `timeoutMs`
 * (a stalled upstream). `onIdle` should abort the upstream request, which errors this stream:
 * the client then sees its connection close instead of waiting forever. The timer is re-armed
 * lazily (one `Date.now()` per chunk, no timer churn) and stops when the body ends or is
 * cancelled.
 *
 * @example
 * const body = withIdleTimeout(upstream.body, 30000, () => controller.abort(new UpstreamTimeoutError(30000)))
 */
export function withIdleTimeout(
  body: ReadableStream<Uint8Array>,
  timeoutMs: number,
  onIdle: () => void,
): ReadableStream<Uint8Array> {
  let last = Date.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const stop = (): void => {
    clearTimeout(timer)
    timer = undefined
  }
  const check = (): void => {
    const idle = Date.now() - last
    if (idle >= timeoutMs) {
      timer = undefined
      onIdle()
    } else timer = setTimeout(check, timeoutMs - idle)
  }
  timer = setTimeout(check, timeoutMs)
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        last = Date.now()
        controller.enqueue(chunk)
      },
      flush: stop,
      // Not every runtime calls this yet; then the timer fires once more and finds nothing to do.
      cancel: stop,
    } as Transformer<Uint8Array, Uint8Array> & { cancel?: () => void }),
  )
}
