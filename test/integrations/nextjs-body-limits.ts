/**
 * Request bodies through the real Next.js app (test/nextjs-app, `next start`) on all three
 * paths: the middleware helper (proxy.js, /__clerk_mw), route handlers on the Node.js runtime
 * (/__clerk, which proxy.js's matcher also covers) and on the Edge runtime (/__clerk_edge).
 * Next.js hands each of them only the first `experimental.proxyClientMaxBodySize` bytes of a
 * body and says nothing; the proxy must refuse what may have been cut, and Clerk (the stand-in)
 * must never see a cut body answered as a success. The app runs with a 1 MiB Next.js limit so
 * every side of every limit is cheap to reach; the default 10 MiB is covered by one case each.
 * Registered from nextjs.test.ts: one test file per fixture, so `next build` runs once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { announce, settledUploads, upload, type BodyFraming, type UploadAnswer } from '../support/body-uploads.ts'
import { SECRET } from './cases.ts'
import { startNextApp, type RunningNext } from './nextjs-app.ts'

const KIB = 1024
const MIB = 1024 * KIB
/** Next.js's limit in the small-limit apps, as next.config sets it and as the proxy is told. */
const NEXT_LIMIT = 1 * MIB
/** A body without a declared length this close to Next.js's limit may have been cut. */
const CUT_MARGIN = 64 * KIB
const PATHS = ['/__clerk_mw', '/__clerk', '/__clerk_edge'] as const

/**
 * Registers the body-limit cases against their own `next start` runs of test/nextjs-app.
 *
 * @example
 * describeNextBodyLimits()
 */
export function describeNextBodyLimits(): void {
  describe('next.js body limits', () => {
    let fapi: FapiStandIn
    let nextBound: RunningNext | undefined
    let proxyBound: RunningNext | undefined
    let defaults: RunningNext | undefined

    beforeAll(async () => {
      fapi = await startFapiStandIn()
      const env = { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url }
      const small = { ...env, FIXTURE_NEXT_MAX_BODY: '1mb', CLERK_PROXY_NEXT_MAX_BODY: '1mb' }
      // One after the other: three `next start` at once would crowd a busy machine.
      nextBound = await startNextApp(small)
      proxyBound = await startNextApp({ ...small, CLERK_PROXY_MAX_BODY: '256kb' })
      defaults = await startNextApp(env)
    }, 240_000)

    afterAll(async () => {
      for (const app of [nextBound, proxyBound, defaults]) await app?.stop()
      await fapi?.close()
      for (const app of [nextBound, proxyBound, defaults]) expect(app?.output() ?? '').not.toContain(SECRET)
    })

    let uploads = 0

    /** Uploads `size` bytes and returns the answer plus the stand-in's settled records of it. */
    async function through(app: RunningNext | undefined, path: string, size: number, framing: BodyFraming | 'announced') {
      const tag = `b=${++uploads}`
      const url = `${app!.baseUrl}${path}/upload?${tag}`
      const answer = framing === 'announced' ? await announce(url, size) : await upload(url, size, framing)
      return { answer, upstream: await settledUploads(fapi, tag) }
    }

    /** The body arrived whole: 200, and the stand-in read exactly `size` bytes. */
    function expectWhole(result: Awaited<ReturnType<typeof through>>, size: number): void {
      expect(result.answer.status).toBe(200)
      expect((result.answer.json as { bodyLength: number }).bodyLength).toBe(size)
      expect(result.upstream.map((r) => [r.bodyLength, r.completed])).toEqual([[size, true]])
    }

    /** Refused in Clerk's shape, and no upload reached Clerk as complete. */
    function expectRefused(result: Awaited<ReturnType<typeof through>>, status: number, code: string): string {
      expect(result.answer.status).toBe(status)
      expect(result.answer.headers['cache-control']).toBe('no-store')
      const error = (result.answer.json as { errors: { code: string; message: string; long_message: string }[] }).errors[0]!
      expect(error.code).toBe(code)
      for (const record of result.upstream) expect(record.completed).toBe(false)
      return error.long_message
    }

    function expectNamesNextLimit(answer: UploadAnswer | string, proxyLimit: string): void {
      const text = typeof answer === 'string' ? answer : JSON.stringify(answer.json)
      expect(text).toContain('experimental.proxyClientMaxBodySize in next.config')
      expect(text).toContain(`first ${NEXT_LIMIT} bytes`)
      expect(text).toContain(proxyLimit)
    }

    describe.each(PATHS)('Next.js limit 1 MiB, proxy limit 10 MiB: %s', (path) => {
      test('declared length: just under and at the limit arrive whole; over it is refused before anything reaches Clerk', async () => {
        expectWhole(await through(nextBound, path, NEXT_LIMIT - 1, 'content-length'), NEXT_LIMIT - 1)
        expectWhole(await through(nextBound, path, NEXT_LIMIT, 'content-length'), NEXT_LIMIT)
        const over = await through(nextBound, path, NEXT_LIMIT + 1, 'announced')
        expectNamesNextLimit(expectRefused(over, 413, 'proxy_payload_too_large'), `up to ${10 * MIB} bytes (CLERK_PROXY_MAX_BODY)`)
        expect(over.upstream).toEqual([])
      })

      test('chunked: under the cut margin arrives whole; at and over the limit (where Next.js cuts) is refused, never forwarded as whole', async () => {
        expectWhole(await through(nextBound, path, NEXT_LIMIT - CUT_MARGIN - 1, 'chunked'), NEXT_LIMIT - CUT_MARGIN - 1)
        for (const size of [NEXT_LIMIT - CUT_MARGIN, NEXT_LIMIT, NEXT_LIMIT + 1, NEXT_LIMIT + 300 * KIB]) {
          const result = await through(nextBound, path, size, 'chunked')
          expectNamesNextLimit(expectRefused(result, 413, 'proxy_payload_too_large'), 'CLERK_PROXY_MAX_BODY')
          for (const record of result.upstream) expect(record.bodyLength).toBeLessThan(size)
        }
      })
    })

    describe.each(PATHS)('proxy limit 256 KiB under Next.js limit 1 MiB: %s', (path) => {
      test.each(['content-length', 'chunked'] as const)('%s: just under and at CLERK_PROXY_MAX_BODY arrive whole; one byte over is refused', async (framing) => {
        expectWhole(await through(proxyBound, path, 256 * KIB - 1, framing), 256 * KIB - 1)
        expectWhole(await through(proxyBound, path, 256 * KIB, framing), 256 * KIB)
        const over = await through(proxyBound, path, 256 * KIB + 1, framing === 'content-length' ? 'announced' : framing)
        expect(expectRefused(over, 413, 'proxy_payload_too_large')).toBe(`The Clerk proxy accepts request bodies up to ${256 * KIB} bytes.`)
        for (const record of over.upstream) expect(record.bodyLength).toBeLessThanOrEqual(256 * KIB)
      })
    })

    describe("Next.js's default limit (10 MiB), no setting anywhere", () => {
      test('the middleware helper: a declared 10 MiB arrives whole; 12 MiB chunked (the issue) and 10 MiB + 1 declared are refused', async () => {
        expectWhole(await through(defaults, '/__clerk_mw', 10 * MIB, 'content-length'), 10 * MIB)
        const chunked = await through(defaults, '/__clerk_mw', 12 * MIB, 'chunked')
        expectRefused(chunked, 413, 'proxy_payload_too_large')
        for (const record of chunked.upstream) expect(record.bodyLength).toBeLessThan(12 * MIB)
        const declared = await through(defaults, '/__clerk_mw', 10 * MIB + 1, 'announced')
        expectRefused(declared, 413, 'proxy_payload_too_large')
        expect(declared.upstream).toEqual([])
      })

      test('the Edge route handler: a chunked body at Next.js\'s default limit is refused', async () => {
        const result = await through(defaults, '/__clerk_edge', 10 * MIB, 'chunked')
        expect(JSON.stringify(result.answer.json)).toContain(`first ${10 * MIB} bytes`)
        expectRefused(result, 413, 'proxy_payload_too_large')
      })
    })
  })
}
