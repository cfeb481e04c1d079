/** The doctor's checks as pure functions: each verdict from hand-made observations. */
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  checkClerkJs,
  checkClientIp,
  checkHttps,
  checkNoSecret,
  checkSetCookies,
  cookiesInSetCookieLine,
  forwardedForSeen,
  isLoopbackHost,
  isNonPublicIp,
} from '../src/cli/doctor-checks.ts'
import { decodeBody } from '../src/cli/encoding.ts'
import type { ProbeResult } from '../src/cli/http-probe.ts'
import { redact } from '../src/cli/io.ts'

const result = (path: string, headers: ProbeResult['headers'], body: Buffer | string = ''): ProbeResult => ({
  url: `https://app.example.com/__clerk${path}`,
  requestHeaders: {},
  status: 200,
  headers,
  body: Buffer.from(body),
  ms: 12,
})
const health = (xff: string | null): ProbeResult =>
  result('/v1/proxy-health', { 'content-type': 'application/json' }, JSON.stringify({ status: 'healthy', x_forwarded_for: xff }))

describe('Set-Cookie merging', () => {
  it('counts cookies joined with commas, not commas inside Expires dates', () => {
    expect(cookiesInSetCookieLine('__client=abc; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly')).toBe(1)
    expect(cookiesInSetCookieLine('a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/, b=2; Expires=Thu, 22 Oct 2037 07:28:00 GMT')).toBe(2)
    expect(cookiesInSetCookieLine('a=1, b=2, c=3')).toBe(3)
  })
  it('fails on a merged line, passes on separate headers, and skips when nothing could be merged', () => {
    expect(checkSetCookies([result('/v1/client', { 'set-cookie': ['a=1; Path=/, b=2; Path=/'] })]).status).toBe('fail')
    expect(checkSetCookies([result('/v1/client', { 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] })])).toMatchObject({ status: 'pass', detail: '2 Set-Cookie headers on /__clerk/v1/client, one cookie each' })
    expect(checkSetCookies([result('/v1/client', { 'set-cookie': ['a=1; Path=/'] })]).status).toBe('skip')
    expect(checkSetCookies([result('/v1/client', {})]).status).toBe('skip')
  })
})

describe('HTTPS', () => {
  it('passes https, allows http on loopback, warns on http elsewhere', () => {
    expect(checkHttps(new URL('https://app.example.com/__clerk')).status).toBe('pass')
    expect(checkHttps(new URL('http://localhost:3000/__clerk')).status).toBe('pass')
    expect(checkHttps(new URL('http://[::1]:3000/__clerk')).status).toBe('pass')
    expect(checkHttps(new URL('http://app.example.com/__clerk')).status).toBe('warn')
  })
  it('knows loopback and private addresses', () => {
    expect(isLoopbackHost('app.localhost')).toBe(true)
    expect(isLoopbackHost('127.8.9.1')).toBe(true)
    expect(isLoopbackHost('example.com')).toBe(false)
    expect(['10.1.2.3', '172.20.0.1', '192.168.1.1', '100.64.0.9', 'fd00::1', '::ffff:10.0.0.1'].every(isNonPublicIp)).toBe(true)
    expect(['8.8.8.8', '2606:4700::1111', '172.32.0.1'].some(isNonPublicIp)).toBe(false)
  })
})

describe('client IP', () => {
  const url = new URL('https://app.example.com/__clerk')
  it('reads the leftmost X-Forwarded-For value, as Clerk does', () => {
    expect(forwardedForSeen({ x_forwarded_for: '203.0.113.9, 10.0.0.1' })).toBe('203.0.113.9')
    expect(forwardedForSeen({ x_forwarded_for: '::FFFF:198.51.100.1' })).toBe('198.51.100.1')
    expect(forwardedForSeen({ x_forwarded_for: null })).toBeUndefined()
  })
  it('fails on a private address (the load balancer) and when FAPI saw none', () => {
    expect(checkClientIp({ url, first: health('10.0.3.4') })).toMatchObject({ status: 'fail', detail: expect.stringContaining('a private address') })
    expect(checkClientIp({ url, first: health(null) })).toMatchObject({ status: 'fail', detail: 'FAPI saw no X-Forwarded-For at all' })
  })
  it('warns that a public address cannot be confirmed without --expect-ip, and compares with it', () => {
    const check = checkClientIp({ url, first: health('198.51.100.7'), second: health('198.51.100.7') })
    expect(check.status).toBe('warn')
    expect(check.detail).toContain('the same on a second request')
    expect(check.fix).toContain('--expect-ip')
    expect(checkClientIp({ url, first: health('198.51.100.7'), second: health('198.51.100.8') }).detail).toBe('two requests were seen as 198.51.100.7 and 198.51.100.8')
    expect(checkClientIp({ url, first: health('198.51.100.7'), expectIp: '198.51.100.7' }).status).toBe('pass')
    expect(checkClientIp({ url, first: health('198.51.100.7'), expectIp: '198.51.100.9' }).status).toBe('fail')
  })
})

describe('clerk-js script', () => {
  const script = Buffer.from('export function clerk(){return 1}\n'.repeat(10000))
  const probeOf = (headers: ProbeResult['headers'], body: Buffer): ProbeResult => ({ ...result('/npm/@clerk/clerk-js@6/dist/clerk.browser.js', headers), body })
  it('passes gzip and br and reports the size on the wire', () => {
    const gz = gzipSync(script)
    expect(checkClerkJs(probeOf({ 'content-encoding': 'gzip', 'content-length': String(gz.length) }, gz))).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^200, gzip, \d+ k?B on the wire \(340 kB decoded\) in 12 ms$/) })
    expect(checkClerkJs(probeOf({ 'content-encoding': 'br' }, brotliCompressSync(script))).status).toBe('pass')
  })
  it('warns when a large script arrives uncompressed', () => {
    expect(checkClerkJs(probeOf({}, script))).toMatchObject({ status: 'warn', detail: '200, uncompressed, 340 kB on the wire in 12 ms' })
  })
  it('fails on a Content-Length that does not match the bytes', () => {
    expect(checkClerkJs(probeOf({ 'content-length': '10' }, script)).detail).toBe(`Content-Length says 10 bytes but ${script.length} arrived`)
  })
  it('decodes layered encodings last-applied first', () => {
    const decoded = decodeBody(brotliCompressSync(gzipSync(script)), 'gzip, br')
    expect(decoded.ok && decoded.body.equals(script)).toBe(true)
  })
})

describe('secret key', () => {
  const secret = 'sk_live_unitTestSecretAbcdef123456'
  it('finds the exact key, any sk_live_ value and a Clerk-Secret-Key header, without printing them', () => {
    const exact = checkNoSecret([result('/x', { 'x-debug': `key=${secret}` })], secret)
    expect(exact.status).toBe('fail')
    expect(JSON.stringify(exact)).not.toContain(secret)
    expect(checkNoSecret([result('/x', { 'x-debug': 'sk_test_someoneElsesKey1234' })], undefined).status).toBe('fail')
    expect(checkNoSecret([result('/x', { 'clerk-secret-key': '' })], undefined).status).toBe('fail')
    expect(checkNoSecret([result('/x', { 'content-type': 'application/json' }, `{"k":"${secret}"}`)], secret).detail).toContain('body of /__clerk/x')
    expect(checkNoSecret([result('/x', { 'content-type': 'application/json' }, '{}')], secret).status).toBe('pass')
  })
  it('redacts the key from any text', () => {
    expect(redact(`a ${secret} b ${secret}`, secret)).toBe('a [secret key hidden] b [secret key hidden]')
    expect(redact('nothing', undefined)).toBe('nothing')
  })
})
