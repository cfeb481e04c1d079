/**
 * Request bodies on every platform: just under, at and one byte over CLERK_PROXY_MAX_BODY, with
 * a declared length and chunked, byte counts checked at the FAPI stand-in; and a client that
 * sends less than it announced. Clerk must never see a cut or oversized body as complete.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { announce, cutUpload, settledUploads, upload, type BodyFraming } from '../support/body-uploads.ts'
import { SECRET, type ConformanceTarget, type RunningTarget } from './suite.ts'

const LIMIT = 256 * 1024
const FRAMINGS: readonly BodyFraming[] = ['content-length', 'chunked']

/**
 * Registers the body-limit cases for one target (a proxy of its own with `CLERK_PROXY_MAX_BODY=256kb`).
 *
 * @example
 * describeBodyLimits(target)
 */
export function describeBodyLimits(
  target: ConformanceTarget,
  // The suite's own registration, which runs a target's known differences as expected failures.
  register: (title: string, fn: () => Promise<void>) => void = (title, fn) => void test(title, fn),
): void {
  const eachFraming = (title: string, fn: (framing: BodyFraming) => Promise<void>): void => {
    for (const framing of FRAMINGS) register(title.replace('%s', framing), () => fn(framing))
  }
  describe(`body limits: ${target.name} (CLERK_PROXY_MAX_BODY=256kb)`, () => {
    let fapi: FapiStandIn
    let proxy: RunningTarget
    let uploads = 0

    beforeAll(async () => {
      fapi = await startFapiStandIn()
      proxy = await target.start({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_MAX_BODY: '256kb' })
    })
    afterAll(async () => {
      await proxy?.stop()
      await fapi?.close()
    })

    // A declared length over the limit is answered before any body is read: only the head is sent.
    const through = async (size: number, framing: BodyFraming) => {
      const tag = `lim=${++uploads}`
      const url = `${proxy.baseUrl}/__clerk/upload?${tag}`
      const answer = framing === 'content-length' && size > LIMIT ? await announce(url, size, target.platformHeaders) : await upload(url, size, framing, target.platformHeaders)
      return { answer, upstream: await settledUploads(fapi, tag) }
    }

    eachFraming('%s: just under and at the limit arrive whole; one byte over gets 413 and never reaches Clerk whole', async (framing) => {
      for (const size of [LIMIT - 1, LIMIT]) {
        const { answer, upstream } = await through(size, framing)
        expect(answer.status).toBe(200)
        expect((answer.json as { bodyLength: number }).bodyLength).toBe(size)
        expect(upstream.map((r) => [r.bodyLength, r.completed])).toEqual([[size, true]])
      }
      const { answer, upstream } = await through(LIMIT + 1, framing)
      if (framing === 'content-length' && target.relaysEarlyAnswers === false) expect(answer.status).toBe(502)
      else {
        expect(answer.status).toBe(413)
        expect(answer.headers['cache-control']).toBe('no-store')
        expect((answer.json as { errors: { code: string }[] }).errors[0]!.code).toBe('proxy_payload_too_large')
      }
      for (const record of upstream) {
        expect(record.completed).toBe(false)
        expect(record.bodyLength).toBeLessThanOrEqual(LIMIT)
      }
      if (framing === 'content-length') expect(upstream).toEqual([])
    })

    eachFraming('%s: a client that sends less than it announced and goes away: Clerk never sees the body as complete', async (framing) => {
      const tag = `cut=${++uploads}`
      const answer = await cutUpload(proxy.baseUrl, `/__clerk/upload?${tag}`, framing, 40_000)
      expect(answer).not.toMatch(/^HTTP\/1\.1 200/)
      for (const record of await settledUploads(fapi, tag)) {
        expect(record.completed).toBe(false)
        expect(record.bodyLength).toBeLessThanOrEqual(40_000)
      }
    })
  })
}
