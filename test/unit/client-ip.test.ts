import { describe, expect, test } from 'vitest'
import { isTrustedPeer, parseTrustProxy, resolveClientIp } from '../../src/client-ip.ts'
import { normalizeIp } from '../../src/ip.ts'

describe('parseTrustProxy', () => {
  test('trusts nothing when unset, empty, 0, false or none', () => {
    for (const value of [undefined, '', '0', 'false', 'none', 0, false] as const) {
      expect(parseTrustProxy(value)).toEqual({ kind: 'none' })
    }
  })
  test('reads a hop count', () => {
    expect(parseTrustProxy('2')).toEqual({ kind: 'hops', hops: 2 })
    expect(parseTrustProxy(1)).toEqual({ kind: 'hops', hops: 1 })
  })
  test('refuses "true" and "*", which would let any client choose its IP', () => {
    expect(() => parseTrustProxy('true')).toThrow(/any client choose the IP/)
    expect(() => parseTrustProxy('*')).toThrow(/any client choose the IP/)
    expect(() => parseTrustProxy(true)).toThrow(/any client choose the IP/)
  })
  test('refuses what is neither a count nor an address', () => {
    expect(() => parseTrustProxy('10.0.0.0/33')).toThrow(/not a hop count, an IP address, a CIDR range/)
    expect(() => parseTrustProxy('example.com')).toThrow(/"example.com"/)
    expect(() => parseTrustProxy('-1')).toThrow()
    expect(() => parseTrustProxy(99)).toThrow(/0 to 32/)
  })
  test('matches addresses, CIDR ranges and named ranges', () => {
    const trust = parseTrustProxy('loopback, 10.0.0.0/8, 2001:db8::/32')
    expect(isTrustedPeer('127.0.0.1', trust)).toBe(true)
    expect(isTrustedPeer('::1', trust)).toBe(true)
    expect(isTrustedPeer('::ffff:10.1.2.3', trust)).toBe(true)
    expect(isTrustedPeer('2001:db8::5', trust)).toBe(true)
    expect(isTrustedPeer('11.0.0.1', trust)).toBe(false)
    expect(isTrustedPeer('2001:db9::5', trust)).toBe(false)
    expect(isTrustedPeer('192.168.1.1', parseTrustProxy('private'))).toBe(true)
  })
})

describe('resolveClientIp', () => {
  const none = parseTrustProxy(undefined)
  test('is the socket peer when nothing is trusted, whatever the client sends', () => {
    expect(resolveClientIp('203.0.113.7', '6.6.6.6', none)).toBe('203.0.113.7')
    expect(resolveClientIp('::ffff:203.0.113.7', undefined, none)).toBe('203.0.113.7')
  })
  test('with one trusted hop, is the entry the proxy in front appended (rightmost)', () => {
    expect(resolveClientIp('10.0.0.2', '6.6.6.6, 203.0.113.7', parseTrustProxy('1'))).toBe('203.0.113.7')
    expect(resolveClientIp('10.0.0.2', '203.0.113.7', parseTrustProxy('1'))).toBe('203.0.113.7')
  })
  test('with two hops, steps over exactly two proxies and never further left', () => {
    expect(resolveClientIp('10.0.0.2', '6.6.6.6, 203.0.113.7, 10.0.0.9', parseTrustProxy('2'))).toBe('203.0.113.7')
  })
  test('with a hop count larger than the chain, stops at the leftmost entry', () => {
    expect(resolveClientIp('10.0.0.2', '203.0.113.7', parseTrustProxy('3'))).toBe('203.0.113.7')
  })
  test('with addresses, walks left past trusted proxies to the first untrusted address', () => {
    const trust = parseTrustProxy('10.0.0.0/8')
    expect(resolveClientIp('10.0.0.2', '6.6.6.6, 203.0.113.7, 10.0.0.9', trust)).toBe('203.0.113.7')
    // The peer itself is not a trusted proxy: its X-Forwarded-For is ignored.
    expect(resolveClientIp('198.51.100.1', '6.6.6.6', trust)).toBe('198.51.100.1')
  })
  test('ignores ports, brackets and garbage written by a trusted hop', () => {
    expect(resolveClientIp('10.0.0.2', '203.0.113.7:5123', parseTrustProxy('1'))).toBe('203.0.113.7')
    expect(resolveClientIp('10.0.0.2', '[2001:db8::1]:443', parseTrustProxy('1'))).toBe('2001:db8::1')
    expect(resolveClientIp('10.0.0.2', 'unknown', parseTrustProxy('1'))).toBe('10.0.0.2')
    expect(resolveClientIp('10.0.0.2', '', parseTrustProxy('1'))).toBe('10.0.0.2')
  })
  test('is undefined when the platform reports no peer', () => {
    expect(resolveClientIp(undefined, '6.6.6.6', parseTrustProxy('1'))).toBeUndefined()
  })
})

describe('normalizeIp', () => {
  test('canonicalizes IPv4, IPv4-mapped and IPv6 forms', () => {
    expect(normalizeIp('::FFFF:127.0.0.1')).toBe('127.0.0.1')
    expect(normalizeIp('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1')
    expect(normalizeIp('::1')).toBe('::1')
    expect(normalizeIp('1.2.3.4')).toBe('1.2.3.4')
  })
  test('rejects non-addresses', () => {
    for (const bad of ['1.2.3', '256.1.1.1', '01.2.3.4', '1::2::3', 'fe80::1%eth0', 'evil.example', '']) {
      expect(normalizeIp(bad), bad).toBeUndefined()
    }
  })
})
