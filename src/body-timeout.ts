/**
 * Passes a response body through, calling `onIdle` when the upstream has kept the reader
 * waiting for `timeoutMs` (a stalled upstream). Time the client spends not reading (a slow
 * download, back-pressure) does not count. `onIdle` should abort the upstream request, which
 * errors this stream: the client then sees its connection close instead of waiting forever.
 * One timer per body, re-armed lazily, so chunks cost a `Date.now()` and no timer churn.
 *
 * @example
 * const body = withIdleTimeout(upstream.body, 30000, () => controller.abort(new UpstreamTimeoutError(30000)))
 */
export function withIdleTimeout(
  body: ReadableStream<Uint8Array>,
  timeoutMs: number,
  onIdle: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  /** When the current read started, or undefined while no read is pending. */
  let waitingSince: number | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const check = (): void => {
    timer = undefined
    if (waitingSince === undefined) return
    const waited = Date.now() - waitingSince
    if (waited >= timeoutMs) onIdle()
    else timer = setTimeout(check, timeoutMs - waited)
  }
  const stop = (): void => {
    waitingSince = undefined
    clearTimeout(timer)
    timer = undefined
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        waitingSince = Date.now()
        timer ??= setTimeout(check, timeoutMs)
        const result = await reader.read().catch((error: unknown) => {
          stop()
          throw error
        })
        waitingSince = undefined
        if (result.done) {
          stop()
          controller.close()
        } else controller.enqueue(result.value)
      },
      cancel(reason) {
        stop()
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}
