import { describe, expect, test } from 'vitest'
import { acceptsGzip, askForGzip, gzipAgain } from '../../src/recompress.ts'
import { gunzipSync } from 'node:zlib'

describe('gzip again for a client that accepts it (Deno)', () => {
  test('reads Accept-Encoding as a client means it: gzip, x-gzip or *, unless q=0', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true)
    expect(acceptsGzip('br;q=1.0, gzip;q=0.8')).toBe(true)
    expect(acceptsGzip('*')).toBe(true)
    expect(acceptsGzip('x-gzip')).toBe(true)
    expect(acceptsGzip('br')).toBe(false)
    expect(acceptsGzip('gzip;q=0')).toBe(false)
    expect(acceptsGzip('identity')).toBe(false)
    expect(acceptsGzip(null)).toBe(false)
  })

  test('asks the upstream for gzip alone, keeping every other header', () => {
    expect(askForGzip([['accept-encoding', 'gzip, br'], ['accept', 'application/json']])).toEqual([
      ['accept', 'application/json'],
      ['accept-encoding', 'gzip'],
    ])
  })

  test('labels the body as gzip, drops a length it no longer has, varies on Accept-Encoding, and the bytes decode', async () => {
    const text = 'export const clerk = 1;\n'.repeat(2000)
    const body = new Response(text).body!
    const again = gzipAgain(body, [['content-type', 'application/javascript'], ['content-length', String(text.length)]])
    expect(again.headers).toEqual([
      ['content-type', 'application/javascript'],
      ['content-encoding', 'gzip'],
      ['vary', 'Accept-Encoding'],
    ])
    const bytes = Buffer.from(await new Response(again.body).arrayBuffer())
    expect(gunzipSync(bytes).toString()).toBe(text)
    expect(bytes.length).toBeLessThan(text.length / 10)
  })
})
