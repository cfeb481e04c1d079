import { describe, expect, test } from 'vitest'
import { resolveConfig } from '../../src/config.ts'
import { upstreamRequestHeaderList, upstreamRequestHeaders } from '../../src/headers.ts'
import { publicProxyUrl, rewriteLocation } from '../../src/public-url.ts'
import { clientResponseHeaders } from '../../src/response-headers.ts'
import { pathAfterPrefix, splitRequestUrl, upstreamUrl } from '../../src/upstream-url.ts'

const secretKey = 'sk_live_abcdefABCDEF0123456789'
const config = resolveConfig({ secretKey, proxyUrl: 'https://app.example.com/__clerk' })
const based = resolveConfig({ secretKey, fapiUrl: 'https://fapi.example.com/base', proxyUrl: 'https://app.example.com/__clerk' })
const own = { proxyUrl: 'https://app.example.com/__clerk', secretKey, clientIp: '203.0.113.7' }

describe('prefix matching', () => {
  test('matches the prefix itself and paths below it, never a longer segment', () => {
    expect(pathAfterPrefix('/__clerk', '/__clerk')).toBe('')
    expect(pathAfterPrefix('/__clerk/', '/__clerk')).toBe('/')
    expect(pathAfterPrefix('/__clerk/v1/client', '/__clerk')).toBe('/v1/client')
    expect(pathAfterPrefix('/__clerkx', '/__clerk')).toBeUndefined()
    expect(pathAfterPrefix('/__clerkx/v1', '/__clerk')).toBeUndefined()
    expect(pathAfterPrefix('/__CLERK/v1', '/__clerk')).toBeUndefined()
    expect(pathAfterPrefix('/anything', '')).toBe('/anything')
  })
})

describe('upstream URL', () => {
  test('is FAPI base + rest + raw query', () => {
    const t = splitRequestUrl("http://app:3000/__clerk/v1/client?a=%20b&c='d'#frag")
    expect(t).toEqual({ origin: 'http://app:3000', path: '/__clerk/v1/client', query: "?a=%20b&c='d'" })
    expect(upstreamUrl(config, pathAfterPrefix(t.path, '/__clerk')!, t.query)).toBe("https://frontend-api.clerk.dev/v1/client?a=%20b&c='d'")
    expect(upstreamUrl(based, '/v1/client', '')).toBe('https://fapi.example.com/base/v1/client')
    expect(upstreamUrl(config, '', '?x')).toBe('https://frontend-api.clerk.dev/?x')
  })
  test('never names another host, whatever the rest of the path', () => {
    for (const rest of ['//evil.example/x', '/\\\\evil.example', '/@evil.example', '/%2F%2Fevil.example', '/..//evil.example']) {
      expect(new URL(upstreamUrl(config, rest, '?@evil.example')).host).toBe('frontend-api.clerk.dev')
      expect(new URL(upstreamUrl(based, rest, '')).host).toBe('fapi.example.com')
    }
  })
  test('splits URLs without a path or with a query only', () => {
    expect(splitRequestUrl('http://app')).toEqual({ origin: 'http://app', path: '/', query: '' })
    expect(splitRequestUrl('http://app?x=1')).toEqual({ origin: 'http://app', path: '/', query: '?x=1' })
  })
})

describe('Location rewriting', () => {
  const proxyUrl = 'https://app.example.com/__clerk'
  test('rewrites absolute, protocol-relative and path-absolute FAPI locations', () => {
    expect(rewriteLocation(config, 'https://frontend-api.clerk.dev/v1/oauth_callback?code=1', proxyUrl)).toBe(`${proxyUrl}/v1/oauth_callback?code=1`)
    expect(rewriteLocation(config, 'HTTPS://FRONTEND-API.CLERK.DEV/v1/x', proxyUrl)).toBe(`${proxyUrl}/v1/x`)
    expect(rewriteLocation(config, '//frontend-api.clerk.dev/v1/x', proxyUrl)).toBe(`${proxyUrl}/v1/x`)
    expect(rewriteLocation(config, '/v1/client/sync', proxyUrl)).toBe(`${proxyUrl}/v1/client/sync`)
    expect(rewriteLocation(config, 'https://frontend-api.clerk.dev', proxyUrl)).toBe(proxyUrl)
  })
  test('strips the FAPI base path and leaves paths outside it alone', () => {
    expect(rewriteLocation(based, 'https://fapi.example.com/base/v1/x', proxyUrl)).toBe(`${proxyUrl}/v1/x`)
    expect(rewriteLocation(based, '/base?x=1', proxyUrl)).toBe(`${proxyUrl}?x=1`)
    expect(rewriteLocation(based, 'https://fapi.example.com/basement', proxyUrl)).toBe('https://fapi.example.com/basement')
    expect(rewriteLocation(based, '/other', proxyUrl)).toBe('/other')
  })
  test('leaves other hosts and relative paths untouched', () => {
    for (const loc of ['https://accounts.google.com/o/oauth2', 'https://frontend-api.clerk.dev.evil.example/x', 'https://app.example.com/', 'sign-in', '?x=1']) {
      expect(rewriteLocation(config, loc, proxyUrl)).toBe(loc)
    }
  })
})

describe('public proxy URL', () => {
  const derived = resolveConfig({ secretKey })
  const trusted = resolveConfig({ secretKey, trustProxy: 'loopback' })
  const headers = (h: Record<string, string>) => (name: string) => h[name]
  test('is CLERK_PROXY_URL when set', () => {
    expect(publicProxyUrl(config, 'http://internal:3000', headers({ 'x-forwarded-host': 'evil.example' }), '127.0.0.1')).toBe(own.proxyUrl)
  })
  test("is the request's origin + prefix, ignoring X-Forwarded-* from untrusted peers", () => {
    expect(publicProxyUrl(derived, 'http://app.local:3000', headers({ 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }), '127.0.0.1')).toBe(
      'http://app.local:3000/__clerk',
    )
  })
  test('honours X-Forwarded-Host/-Proto from a trusted peer, the nearest value, when well-formed', () => {
    const h = headers({ 'x-forwarded-host': 'spoof.example, app.example.com', 'x-forwarded-proto': 'https' })
    expect(publicProxyUrl(trusted, 'http://10.0.0.5:3000', h, '127.0.0.1')).toBe('https://app.example.com/__clerk')
    expect(publicProxyUrl(trusted, 'http://10.0.0.5:3000', h, '8.8.8.8')).toBe('http://10.0.0.5:3000/__clerk')
    const bad = headers({ 'x-forwarded-host': 'evil.example/path?', 'x-forwarded-proto': 'javascript' })
    expect(publicProxyUrl(trusted, 'http://10.0.0.5:3000', bad, '127.0.0.1')).toBe('http://10.0.0.5:3000/__clerk')
  })
})

describe('request headers', () => {
  test('drop hop-by-hop, Connection-named, Host, Expect and every client copy of proxy-owned headers', () => {
    const incoming = new Headers([
      ['connection', 'X-Trace, keep-alive'],
      ['x-trace', '1'],
      ['keep-alive', 'timeout=1'],
      ['host', 'evil.example'],
      ['expect', '100-continue'],
      ['clerk-secret-key', 'sk_live_forged'],
      ['Clerk-Proxy-Url', 'https://evil.example'],
      ['x-forwarded-for', '6.6.6.6'],
      ['x-real-ip', '6.6.6.6'],
      ['cookie', '__client=1'],
      ['accept-encoding', 'gzip, br'],
    ])
    const out = upstreamRequestHeaders(incoming, own)
    expect([...out]).toEqual([
      ['accept-encoding', 'gzip, br'],
      ['clerk-proxy-url', own.proxyUrl],
      ['clerk-secret-key', secretKey],
      ['cookie', '__client=1'],
      ['x-forwarded-for', '203.0.113.7'],
    ])
  })
  test('the flat-list form keeps repeated headers apart and applies the same rules', () => {
    const raw = ['Host', 'evil', 'X-A', '1', 'x-a', '2', 'CLERK-SECRET-KEY', 'forged', 'X-Forwarded-For', '6.6.6.6', 'Connection', 'x-b', 'X-B', 'gone']
    expect(upstreamRequestHeaderList(raw, { ...own, clientIp: undefined })).toEqual([
      'x-a', '1', 'x-a', '2', 'clerk-proxy-url', own.proxyUrl, 'clerk-secret-key', secretKey,
    ])
  })
})

describe('response headers', () => {
  const shaping = { config, proxyUrl: own.proxyUrl, bodyDecoded: true }
  test('keep each Set-Cookie, rewrite Location, drop hop-by-hop and a reflected secret', () => {
    const upstream = new Headers([
      ['set-cookie', 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT'],
      ['set-cookie', 'b=2'],
      ['location', 'https://frontend-api.clerk.dev/v1/x'],
      ['connection', 'x-internal'],
      ['x-internal', 'drop'],
      ['transfer-encoding', 'chunked'],
      ['clerk-secret-key', secretKey],
      ['content-type', 'application/json'],
    ])
    const out = clientResponseHeaders(upstream, shaping)
    expect(out.getSetCookie()).toEqual(['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2'])
    expect(out.get('location')).toBe(`${own.proxyUrl}/v1/x`)
    for (const gone of ['connection', 'x-internal', 'transfer-encoding', 'clerk-secret-key']) expect(out.has(gone), gone).toBe(false)
    expect(out.get('content-type')).toBe('application/json')
  })
  test('drop Content-Encoding and Content-Length only when the transport decoded an encoded body', () => {
    const encoded = new Headers({ 'content-encoding': 'gzip', 'content-length': '100' })
    expect([...clientResponseHeaders(encoded, shaping)]).toEqual([])
    expect([...clientResponseHeaders(encoded, { ...shaping, bodyDecoded: false })]).toEqual([
      ['content-encoding', 'gzip'],
      ['content-length', '100'],
    ])
    expect([...clientResponseHeaders(new Headers({ 'content-length': '100' }), shaping)]).toEqual([['content-length', '100']])
  })
})
