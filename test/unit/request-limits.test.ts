import { describe, expect, test } from 'vitest'
import { resolveConfig } from '../../src/config.ts'
import { ConfigurationError } from '../../src/errors.ts'
import { clientErrorStatus } from '../../src/node/client-errors.ts'
import { nextBodyLimit, nextEnv } from '../../adapters/nextjs/request.ts'
import { hasMalformedPercentEncoding, isWebSocketUpgrade, parseByteSize, refuseRequest } from '../../src/request-limits.ts'

const secretKey = 'sk_test_abc'

describe('request limits', () => {
  test('parseByteSize: bytes, binary units, 0 = no limit, junk refused', () => {
    expect(parseByteSize(1024)).toBe(1024)
    expect(parseByteSize('1048576')).toBe(1_048_576)
    expect(parseByteSize('512kb')).toBe(512 * 1024)
    expect(parseByteSize('10 MiB')).toBe(10 * 1024 * 1024)
    expect(parseByteSize('1.5m')).toBe(1.5 * 1024 * 1024)
    expect(parseByteSize('1G')).toBe(1024 ** 3)
    expect(parseByteSize(0)).toBe(Infinity)
    expect(parseByteSize('0')).toBe(Infinity)
    for (const bad of ['', 'lots', '-1', '10 parsecs', '1e9', 'mb']) expect(parseByteSize(bad)).toBeUndefined()
    expect(parseByteSize(-5)).toBeUndefined()
  })

  test('CLERK_PROXY_MAX_BODY and maxBodySize reach the config; a bad value names the variable', () => {
    expect(resolveConfig({ secretKey }).maxBodyBytes).toBe(10 * 1024 * 1024)
    expect(resolveConfig({ secretKey, env: { CLERK_PROXY_MAX_BODY: '64kb' } }).maxBodyBytes).toBe(65_536)
    expect(resolveConfig({ secretKey, maxBodySize: 0, env: { CLERK_PROXY_MAX_BODY: '64kb' } }).maxBodyBytes).toBe(Infinity)
    expect(() => resolveConfig({ secretKey, env: { CLERK_PROXY_MAX_BODY: 'huge' } })).toThrow(ConfigurationError)
    expect(() => resolveConfig({ secretKey, env: { CLERK_PROXY_MAX_BODY: 'huge' } })).toThrow(/CLERK_PROXY_MAX_BODY/)
  })

  test('hasMalformedPercentEncoding: only a % without two hex digits', () => {
    for (const ok of ['/v1/client', '/a%2Fb', '/%E2%82%AC', '/%aa%AA%0f', '']) expect(hasMalformedPercentEncoding(ok)).toBe(false)
    for (const bad of ['/%', '/%4', '/%zz', '/%G1', '/a%2', '/%%41', '/ok%41%']) expect(hasMalformedPercentEncoding(bad)).toBe(true)
  })

  test('isWebSocketUpgrade: websocket in any case or list position; h2c and absence are not', () => {
    for (const yes of ['websocket', 'WebSocket', 'h2c, websocket', 'websocket/13', ' websocket ']) expect(isWebSocketUpgrade(yes)).toBe(true)
    for (const no of [undefined, '', 'h2c', 'websockets', 'notwebsocket', 'HTTP/2.0']) expect(isWebSocketUpgrade(no)).toBe(false)
  })

  test('refuseRequest: 400 path, 400 upgrade, 413 declared length; otherwise nothing', async () => {
    const headers = (h: Record<string, string>) => (name: string) => h[name]
    const limits = (maxBodyBytes: number) => ({ maxBodyBytes, nextMaxBodyBytes: Infinity })
    expect(refuseRequest('/v1/client', headers({ 'content-length': '100' }), limits(1000))).toBeUndefined()
    expect(refuseRequest('/v1/client', headers({ 'content-length': '100000' }), limits(Infinity))).toBeUndefined()
    const path = refuseRequest('/v1/%zz', headers({}), limits(1000))!
    expect(path.status).toBe(400)
    expect(((await path.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('proxy_bad_request')
    expect(refuseRequest('/v1/client', headers({ upgrade: 'websocket' }), limits(1000))!.status).toBe(400)
    const big = refuseRequest('/v1/client', headers({ 'content-length': '1001' }), limits(1000))!
    expect(big.status).toBe(413)
    expect(big.headers.get('connection')).toBe('close')
    expect(big.headers.get('cache-control')).toBe('no-store')
  })

  test('clientErrorStatus: 414 for a long request line, 431 for long headers, 408, 413, 400', () => {
    const overflow = (packet: string) => Object.assign(new Error('overflow'), { code: 'HPE_HEADER_OVERFLOW', rawPacket: Buffer.from(packet) })
    expect(clientErrorStatus(overflow(`GET /${'a'.repeat(20_000)}`), 16_384)).toBe(414)
    expect(clientErrorStatus(overflow(`GET /${'a'.repeat(9_000)} HTTP/1.1\r\nHost: x`), 16_384)).toBe(414)
    expect(clientErrorStatus(overflow(`GET / HTTP/1.1\r\nCookie: ${'c'.repeat(20_000)}`), 16_384)).toBe(431)
    expect(clientErrorStatus(Object.assign(new Error('t'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), 16_384)).toBe(408)
    expect(clientErrorStatus(Object.assign(new Error('c'), { code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW' }), 16_384)).toBe(413)
    expect(clientErrorStatus(Object.assign(new Error('m'), { code: 'HPE_INVALID_METHOD' }), 16_384)).toBe(400)
  })

  test('refuseRequest: a declared length over Next.js\'s limit gets 413 naming both limits and the next.config setting', async () => {
    const header = (length: string) => (name: string) => (name === 'content-length' ? length : undefined)
    const limits = { maxBodyBytes: 10 * 1024 * 1024, nextMaxBodyBytes: 1024 * 1024 }
    expect(refuseRequest('/upload', header(String(1024 * 1024)), limits)).toBeUndefined()
    const refused = refuseRequest('/upload', header(String(1024 * 1024 + 1)), limits)!
    expect(refused.status).toBe(413)
    expect(refused.headers.get('cache-control')).toBe('no-store')
    const error = ((await refused.json()) as { errors: { code: string; long_message: string }[] }).errors[0]!
    expect(error.code).toBe('proxy_payload_too_large')
    expect(error.long_message).toContain('only the first 1048576 bytes')
    expect(error.long_message).toContain('experimental.proxyClientMaxBodySize in next.config')
    expect(error.long_message).toContain('up to 10485760 bytes (CLERK_PROXY_MAX_BODY)')
    expect(error.long_message).toContain('declares 1048577 bytes')
  })
})

describe("Next.js's body limit", () => {
  test('CLERK_PROXY_NEXT_MAX_BODY wins; else a standalone build\'s configured value; else Next.js\'s 10 MB default', () => {
    expect(nextBodyLimit(undefined)).toBe('10485760')
    expect(nextBodyLimit('{"experimental":{"proxyClientMaxBodySize":1048576}}')).toBe('1048576')
    expect(nextBodyLimit('{"experimental":{"middlewareClientMaxBodySize":"2mb"}}')).toBe('2mb')
    expect(nextBodyLimit('not json')).toBe('10485760')
    const standalone = JSON.stringify({ experimental: { proxyClientMaxBodySize: 16 * 1024 * 1024 } })
    expect(resolveConfig({ secretKey, env: nextEnv({ __NEXT_PRIVATE_STANDALONE_CONFIG: standalone }) }).nextMaxBodyBytes).toBe(16 * 1024 * 1024)
    expect(resolveConfig({ secretKey, env: nextEnv({ __NEXT_PRIVATE_STANDALONE_CONFIG: standalone, CLERK_PROXY_NEXT_MAX_BODY: '1mb' }) }).nextMaxBodyBytes).toBe(1024 * 1024)
    expect(resolveConfig({ secretKey, env: nextEnv({}) }).nextMaxBodyBytes).toBe(10 * 1024 * 1024)
    expect(resolveConfig({ secretKey, nextMaxBodySize: '512kb', env: nextEnv({}) }).nextMaxBodyBytes).toBe(512 * 1024)
    // Outside Next.js there is no such limit.
    expect(resolveConfig({ secretKey }).nextMaxBodyBytes).toBe(Infinity)
    expect(() => resolveConfig({ secretKey, env: { CLERK_PROXY_NEXT_MAX_BODY: 'big' } })).toThrow(/CLERK_PROXY_NEXT_MAX_BODY must be a size/)
  })
})
