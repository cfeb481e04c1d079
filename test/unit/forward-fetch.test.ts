/**
 * The fetch forwarder's body rule, against the real stand-in over HTTP: small answers with a
 * declared length are read whole under the request's timeout (a stall answers 504 in Clerk's
 * shape), larger or undeclared ones stream under the idle watcher.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { resolveConfig } from '../../src/config.ts'
import { BUFFERED_BODY_LIMIT, forwardWithFetch, isSmallBody, type FetchTransport } from '../../src/forward-fetch.ts'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'

const transport: FetchTransport = { fetch: (url, init) => fetch(url, init), decodesBody: true }

describe('isSmallBody', () => {
  test('a declared length up to the limit, counting the bytes the transport hands over', () => {
    expect(isSmallBody(new Headers({ 'content-length': '2542' }), true)).toBe(true)
    expect(isSmallBody(new Headers({ 'content-length': String(BUFFERED_BODY_LIMIT) }), true)).toBe(true)
    expect(isSmallBody(new Headers({ 'content-length': String(BUFFERED_BODY_LIMIT + 1) }), true)).toBe(false)
    expect(isSmallBody(new Headers(), false)).toBe(false)
    // A decoding fetch expands a compressed body beyond its declared length; one that does not, does not.
    expect(isSmallBody(new Headers({ 'content-length': '100', 'content-encoding': 'gzip' }), true)).toBe(false)
    expect(isSmallBody(new Headers({ 'content-length': '100', 'content-encoding': 'gzip' }), false)).toBe(true)
    expect(isSmallBody(new Headers({ 'content-length': 'x' }), false)).toBe(false)
  })
})

describe('forwardWithFetch bodies', () => {
  let fapi: FapiStandIn
  const timeoutMs = 600
  const forward = async (path: string, method = 'GET'): Promise<Response> => {
    const config = resolveConfig({ secretKey: 'sk_test_forwardfetchforwardfetch', fapiUrl: fapi.url, proxyUrl: 'https://app.example.com/__clerk', timeout: timeoutMs })
    const request = new Request(`https://app.example.com/__clerk${path}`, { method })
    return forwardWithFetch(request, { url: `${fapi.url}${path}`, proxyUrl: 'https://app.example.com/__clerk', clientIp: '203.0.113.7' }, config, transport)
  }

  beforeAll(async () => {
    fapi = await startFapiStandIn()
    fapi.routes.push((req, res) => {
      if (req.url !== '/small-stall') return false
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2000 })
      res.write('{"partial":')
      return true
    })
    fapi.routes.push((req, res) => {
      if (req.url !== '/small-reset') return false
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2000 })
      res.write('{"partial":', () => res.socket?.destroy())
      return true
    })
  })
  afterAll(async () => fapi?.close())

  test('a small answer arrives whole, headers shaped', async () => {
    const response = await forward('/v1/environment')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/application\/json/)
    expect(await response.json()).toMatchObject({ object: 'environment' })
  })

  test('a small answer whose body stalls: 504 proxy_timeout, the upstream request given up', async () => {
    // The stalled body never ends: only the timeout can produce this answer.
    const response = await forward('/small-stall')
    expect(response.status).toBe(504)
    expect(await response.json()).toMatchObject({ errors: [{ code: 'proxy_timeout' }] })
    const record = await fapi.waitFor((r) => r.url === '/small-stall')
    await expect.poll(() => record.aborted).toBe(true)
  })

  test('a small answer reset mid-body: 502 proxy_request_failed', async () => {
    const response = await forward('/small-reset')
    expect(response.status).toBe(502)
    expect(await response.json()).toMatchObject({ errors: [{ code: 'proxy_request_failed' }] })
  })

  test('a large answer streams, and a stall after the head closes the body with an error', async () => {
    const response = await forward('/stall-body')
    expect(response.status).toBe(200)
    await expect(response.arrayBuffer()).rejects.toThrow()
  })

  test('HEAD answers the upstream head with no body', async () => {
    const response = await forward('/v1/environment', 'HEAD')
    expect(response.status).toBe(200)
    const direct = await fetch(`${fapi.url}/v1/environment`, { method: 'HEAD' })
    expect(response.headers.get('content-length')).toBe(direct.headers.get('content-length'))
    expect(await response.text()).toBe('')
  })
})
