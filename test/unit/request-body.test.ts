import { describe, expect, test } from 'vitest'
import { BodyRefusedError, checkedBody, upstreamBody } from '../../src/request-body.ts'
import { BodyTooLargeError, type BodyLimits } from '../../src/request-limits.ts'

/** Streams `sizes` as chunks through checkedBody; resolves with what came out and what failed. */
async function through(sizes: number[], contentLength: string | undefined, limits: BodyLimits, breakAfter = false) {
  let i = 0
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < sizes.length) return controller.enqueue(new Uint8Array(sizes[i++]!))
      if (breakAfter) controller.error(new Error('client went away'))
      else controller.close()
    },
  })
  const failures: unknown[] = []
  const reader = checkedBody(source, contentLength, limits, (error) => failures.push(error)).getReader()
  let passed = 0
  let error: unknown
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) passed += read.value.byteLength
  } catch (caught) {
    error = caught
  }
  return { passed, error, failures }
}

async function longMessage(error: unknown): Promise<string> {
  expect(error).toBeInstanceOf(BodyRefusedError)
  const body = (await (error as BodyRefusedError).response.json()) as { errors: { long_message: string }[] }
  return body.errors[0]!.long_message
}

describe('checkedBody: a body is forwarded whole or fails, and every failure aborts upstream first', () => {
  const proxyOnly = { maxBodyBytes: 1000, nextMaxBodyBytes: Infinity }
  const behindNext = { maxBodyBytes: Infinity, nextMaxBodyBytes: 200_000 }

  test('a declared length that matches passes whole; shorter or longer is refused with 400', async () => {
    expect(await through([300, 300], '600', proxyOnly)).toEqual({ passed: 600, error: undefined, failures: [] })
    const short = await through([300, 200], '600', proxyOnly)
    expect(short.failures).toEqual([short.error])
    expect((short.error as BodyRefusedError).response.status).toBe(400)
    expect(await longMessage(short.error)).toBe('The request declared Content-Length: 600 but its body had 500 bytes; the Clerk proxy does not forward it.')
    const long = await through([300, 400], '600', proxyOnly)
    expect(long.passed).toBe(300)
    expect(await longMessage(long.error)).toContain('more than 600 bytes')
  })

  test('without a declared length: up to CLERK_PROXY_MAX_BODY passes, one byte more is BodyTooLargeError', async () => {
    expect((await through([500, 500], undefined, proxyOnly)).passed).toBe(1000)
    const over = await through([500, 501], undefined, proxyOnly)
    expect(over.passed).toBe(500)
    expect(over.error).toBeInstanceOf(BodyTooLargeError)
    expect(over.failures).toEqual([over.error])
  })

  test('without a declared length: within 64 KiB of Next.js\'s limit may be a cut body and is refused with 413', async () => {
    const suspectFrom = 200_000 - 64 * 1024
    expect((await through([suspectFrom - 1], undefined, behindNext)).passed).toBe(suspectFrom - 1)
    const near = await through([suspectFrom - 1, 1], undefined, behindNext)
    expect(near.passed).toBe(suspectFrom - 1)
    expect((near.error as BodyRefusedError).response.status).toBe(413)
    expect(await longMessage(near.error)).toContain('experimental.proxyClientMaxBodySize in next.config')
    // A declared length is exact: at Next.js's limit it is whole.
    expect((await through([200_000], '200000', behindNext)).passed).toBe(200_000)
  })

  test('a client body that breaks is reported to onFailed before the stream errors', async () => {
    const broken = await through([100], undefined, { maxBodyBytes: Infinity, nextMaxBodyBytes: Infinity }, true)
    expect((broken.error as Error).message).toBe('client went away')
    expect(broken.failures).toEqual([broken.error])
  })
})

describe('upstreamBody: a small declared body is read whole and checked; anything else streams through checkedBody', () => {
  const limits = { maxBodyBytes: Infinity, nextMaxBodyBytes: Infinity }
  /** A POST whose body is `sent` bytes (optionally never ending) under a declared Content-Length. */
  const post = (declared: number, sent: number, ends = true): Request => {
    let done = false
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!done) {
          done = true
          return controller.enqueue(new Uint8Array(sent))
        }
        if (ends) controller.close()
        else return new Promise(() => undefined)
      },
    })
    const init: RequestInit & { duplex: 'half' } = { method: 'POST', body, headers: { 'content-length': String(declared) }, duplex: 'half' }
    return new Request('http://app.example.com/__clerk/v1/client/sign_ins', init)
  }

  test('whole when the length matches: one buffer of exactly the declared bytes', async () => {
    const body = await upstreamBody(post(300, 300), limits, new AbortController().signal, () => undefined)
    expect(body).toBeInstanceOf(ArrayBuffer)
    expect((body as ArrayBuffer).byteLength).toBe(300)
  })

  test('shorter than declared: onFailed, then a 400 in Clerk\'s shape', async () => {
    const failures: unknown[] = []
    const refused = await upstreamBody(post(300, 120), limits, new AbortController().signal, (error) => failures.push(error)).catch((error: unknown) => error)
    expect(failures).toEqual([refused])
    expect(await longMessage(refused)).toBe('The request declared Content-Length: 300 but its body had 120 bytes; the Clerk proxy does not forward it.')
  })

  test('a body that never ends gives up when the signal aborts (the upstream timeout)', async () => {
    const controller = new AbortController()
    const reading = upstreamBody(post(300, 100, false), limits, controller.signal, () => undefined)
    controller.abort(new Error('timed out'))
    await expect(reading).rejects.toThrow('timed out')
  })

  test('over 64 KiB declared: a stream, still held to its length', async () => {
    const body = await upstreamBody(post(70_000, 70_000), limits, new AbortController().signal, () => undefined)
    expect(body).toBeInstanceOf(ReadableStream)
    expect((await new Response(body).arrayBuffer()).byteLength).toBe(70_000)
  })
})
