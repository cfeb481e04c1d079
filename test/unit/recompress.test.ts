import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { acceptsGzip, askForGzip, gzipAgainTransport } from '../../src/recompress.ts'

// A small upstream over real HTTP that gzips when asked, as Clerk does; Node's fetch decodes
// what it receives, as Deno's does, so it stands in for the decoding fetch.
const asset = 'export const clerk = 1;\n'.repeat(4000)
let upstream: Server
let url: string
const seenAcceptEncoding: (string | undefined)[] = []
beforeAll(async () => {
  upstream = createServer((req, res) => {
    seenAcceptEncoding.push(req.headers['accept-encoding'])
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')
    const body = gzip ? gzipSync(asset) : Buffer.from(asset)
    res.writeHead(200, { 'content-type': 'application/javascript', 'content-length': body.length, ...(gzip ? { 'content-encoding': 'gzip' } : {}) })
    res.end(req.method === 'HEAD' ? undefined : body)
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/asset.js`
})
afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())))

const transport = gzipAgainTransport((target, init) => fetch(target, init))

describe('gzip again over a decoding fetch (Deno)', () => {
  test('reads Accept-Encoding as a client means it: gzip, x-gzip or *, unless q=0', () => {
    expect([acceptsGzip('gzip, deflate, br'), acceptsGzip('br;q=1.0, gzip;q=0.8'), acceptsGzip('*'), acceptsGzip('x-gzip')]).toEqual([true, true, true, true])
    expect([acceptsGzip('br'), acceptsGzip('gzip;q=0'), acceptsGzip('identity'), acceptsGzip(null)]).toEqual([false, false, false, false])
    expect(askForGzip([['accept-encoding', 'gzip, br'], ['accept', '*/*']])).toEqual([['accept', '*/*'], ['accept-encoding', 'gzip']])
  })

  test('a client that accepts gzip gets gzip, labelled, without a length, varying on Accept-Encoding', async () => {
    const answer = await transport.fetch(url, { method: 'GET', headers: [['accept-encoding', 'gzip, deflate, br']] })
    expect(seenAcceptEncoding.at(-1)).toBe('gzip')
    expect(answer.headers.get('content-encoding')).toBe('gzip')
    expect(answer.headers.get('content-length')).toBeNull()
    expect(answer.headers.get('vary')).toMatch(/accept-encoding/i)
    const bytes = Buffer.from(await answer.arrayBuffer())
    expect(gunzipSync(bytes).toString()).toBe(asset)
    expect(bytes.length).toBeLessThan(asset.length / 10)
  })

  test('any other client gets the plain bytes, with no encoding label', async () => {
    const answer = await transport.fetch(url, { method: 'GET', headers: [['accept-encoding', 'br']] })
    expect(answer.headers.get('content-encoding')).toBeNull()
    expect(await answer.text()).toBe(asset)
  })
})
