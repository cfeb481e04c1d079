import { describe, expect, test } from 'vitest'
import { withIdleTimeout } from '../../src/body-timeout.ts'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A source that sends `chunks` and then, unless `end`, never another byte. */
function source(chunks: number, end: boolean): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent < chunks) controller.enqueue(new Uint8Array([sent++]))
      else if (end) controller.close()
      else return new Promise(() => {})
    },
  })
}

describe('withIdleTimeout', () => {
  test('a source that stalls calls onIdle once the reader has waited the timeout', async () => {
    let idle = 0
    const reader = withIdleTimeout(source(2, false), 100, () => idle++).getReader()
    expect((await reader.read()).value).toEqual(new Uint8Array([0]))
    expect((await reader.read()).value).toEqual(new Uint8Array([1]))
    void reader.read()
    await expect.poll(() => idle).toBe(1)
  })

  test('a reader that is slow to read does not count as a stalled source', async () => {
    let idle = 0
    const reader = withIdleTimeout(source(3, true), 100, () => idle++).getReader()
    for (let i = 0; i < 3; i++) {
      expect((await reader.read()).value).toEqual(new Uint8Array([i]))
      await sleep(250) // the client dawdles, the source is ready all along
    }
    expect((await reader.read()).done).toBe(true)
    await sleep(150)
    expect(idle).toBe(0)
  })

  test('cancelling stops the timer and cancels the source', async () => {
    let idle = 0
    let cancelled = false
    const base = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}), cancel: () => void (cancelled = true) })
    const stream = withIdleTimeout(base, 100, () => idle++)
    const reader = stream.getReader()
    void reader.read().catch(() => {})
    await reader.cancel('client gone')
    await sleep(250)
    expect(cancelled).toBe(true)
    expect(idle).toBe(0)
  })
})
