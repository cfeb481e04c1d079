/**
 * Upstream faults: Clerk (the stand-in) refusing, hanging up, answering garbage, never
 * answering, or breaking off a body. Before the response head went out the client gets
 * Clerk's error shape (502/504); after it, a closed connection. Nothing hangs.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { refusedPort } from '../support/refused-port.ts'
import { endpoint, jsonBody, rawRequest, type RawResponse } from './raw-http.ts'
import { eventually, testSecret, UPSTREAM_FAULT_TARGETS, type ProxyUnderTest } from './targets.ts'

const TIMEOUT_MS = 1_500
/**
 * No request may take longer than this, whatever the upstream does: far below what the
 * never-answering routes hold (TIMEOUT_MS * 40), with room for a loaded machine.
 */
const HANG_BOUND_MS = TIMEOUT_MS + 15_000

function expectClerkError(response: RawResponse, status: number, code: string): void {
  expect(response.status).toBe(status)
  expect(response.headers['content-type']?.[0]).toMatch(/application\/json/)
  expect(response.headers['cache-control']).toEqual(['no-store'])
  expect(jsonBody(response)).toMatchObject({ errors: [{ code, message: expect.any(String), long_message: expect.any(String) }] })
}

for (const target of UPSTREAM_FAULT_TARGETS) {
  describe(`upstream faults (${target.name})`, () => {
    let fapi: FapiStandIn
    let proxy: ProxyUnderTest
    let refused: ProxyUnderTest
    const secret = testSecret()
    const get = (base: string, path: string): Promise<RawResponse> =>
      rawRequest(base, `GET /__clerk${path} HTTP/1.1\r\nHost: app.example.com\r\nConnection: close`, '', { timeoutMs: HANG_BOUND_MS })

    beforeAll(async () => {
      fapi = await startFapiStandIn({ tls: target.upstreamTls })
      proxy = await target.start({ CLERK_SECRET_KEY: secret, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_TIMEOUT: String(TIMEOUT_MS) })
      refused = await target.start({ CLERK_SECRET_KEY: secret, CLERK_FAPI_URL: `http://127.0.0.1:${await refusedPort()}`, CLERK_PROXY_TIMEOUT: String(TIMEOUT_MS) })
    })
    afterAll(async () => {
      await proxy?.stop()
      await refused?.stop()
      await fapi?.close()
    })

    it('connection refused: 502 proxy_request_failed', async () => {
      const response = await get(refused.url, '/v1/client')
      expectClerkError(response, 502, 'proxy_request_failed')
      expect(response.raw).not.toContain(secret)
    })

    it('reset before the response head (/hangup): 502 proxy_request_failed', async () => {
      const response = await get(proxy.url, '/hangup')
      expectClerkError(response, 502, 'proxy_request_failed')
      expect(response.raw).not.toContain(secret)
    })

    it('garbage instead of HTTP (/garbage): 502 proxy_request_failed', async () => {
      const response = await get(proxy.url, '/garbage')
      expectClerkError(response, 502, 'proxy_request_failed')
      expect(response.raw).not.toContain(secret)
    })

    it('a response head that never comes (/slow-headers): 504 proxy_timeout within the timeout', async () => {
      const response = await get(proxy.url, `/slow-headers?ms=${TIMEOUT_MS * 40}`)
      expectClerkError(response, 504, 'proxy_timeout')
      expect(response.timedOut).toBe(false)
      // The upstream request was given up, not left waiting.
      await eventually(() => fapi.requests.filter((r) => r.url.startsWith('/slow-headers')), (list) => list.every((r) => r.aborted))
      expect(fapi.requests.filter((r) => r.url.startsWith('/slow-headers')).every((r) => r.aborted)).toBe(true)
    })

    it('reset in the middle of the body (/reset-mid-body): the head went out, so the client sees the connection close', async () => {
      const response = await get(proxy.url, '/reset-mid-body')
      expect(response.status).toBe(200)
      expect(response.timedOut).toBe(false)
      expect(response.body.length).toBeLessThan(100_000)
      if (target.rules?.keepsContentLength ?? true) expect(Number(response.headers['content-length']?.[0])).toBe(100_000)
      else {
        // Sent chunked: cut short, the body lacks its terminating chunk.
        expect(response.headers['transfer-encoding']).toEqual(['chunked'])
        expect(response.raw.endsWith('0\r\n\r\n')).toBe(false)
      }
    })

    it('a body that stalls (/stall-body): the connection closes within the timeout and the upstream one is released', async () => {
      const response = await get(proxy.url, '/stall-body')
      expect(response.status).toBe(200)
      expect(response.timedOut).toBe(false)
      expect(response.body.length).toBeLessThan(100_000)
      const record = await eventually(() => fapi.requests.find((r) => r.url === '/stall-body'), (r) => r?.aborted === true)
      expect(record?.aborted).toBe(true)
    })

    it('a client that stops reading for longer than the timeout is not cut off (only a stalled upstream is)', async () => {
      const { host, port } = endpoint(proxy.url)
      const total = 20_000_000
      const received = await new Promise<number>((resolve) => {
        let bytes = 0
        const socket = connect({ host, port }, () => socket.write(`GET /__clerk/download?bytes=${total} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))
        socket.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes > 100_000 && bytes - chunk.length <= 100_000) {
            socket.pause()
            setTimeout(() => socket.resume(), TIMEOUT_MS * 2 + 500)
          }
        })
        socket.on('error', () => {})
        socket.on('close', () => resolve(bytes))
      })
      expect(received).toBeGreaterThan(total)
    })

    it('a broken upstream reflecting the secret header: the header is dropped', async () => {
      const response = await get(proxy.url, '/echo-secret')
      expect(response.status).toBe(200)
      expect(response.raw).not.toContain(secret)
      expect(response.headers['clerk-secret-key']).toBeUndefined()
    })

    it('after all of that the proxy still answers normally', async () => {
      const response = await get(proxy.url, '/v1/environment')
      expect(response.status).toBe(200)
      expect(jsonBody(response)).toMatchObject({ object: 'environment' })
    })
  })
}
