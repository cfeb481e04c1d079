import { describe, expect, test } from 'vitest'
import { clientIpFromForwardedChain, parseTrustProxy } from '../../src/client-ip.ts'

describe('clientIpFromForwardedChain (Next.js: the socket is hidden behind x-forwarded-for ??=)', () => {
  const none = parseTrustProxy(undefined)

  test('without TRUST_PROXY the rightmost entry is the client', () => {
    expect(clientIpFromForwardedChain('127.0.0.1', none)).toBe('127.0.0.1')
    expect(clientIpFromForwardedChain('::ffff:127.0.0.1', none)).toBe('127.0.0.1')
    expect(clientIpFromForwardedChain('6.6.6.6, 203.0.113.7', none)).toBe('203.0.113.7')
    expect(clientIpFromForwardedChain('6.6.6.6,203.0.113.7:5123', none)).toBe('203.0.113.7')
  })

  test('TRUST_PROXY=1 means the same as unset: the rightmost entry was written by the one proxy', () => {
    expect(clientIpFromForwardedChain('6.6.6.6, 203.0.113.7', parseTrustProxy('1'))).toBe('203.0.113.7')
  })

  test('TRUST_PROXY=N picks the Nth entry from the right, never further', () => {
    expect(clientIpFromForwardedChain('1.1.1.1, 2.2.2.2, 3.3.3.3', parseTrustProxy('2'))).toBe('2.2.2.2')
    expect(clientIpFromForwardedChain('1.1.1.1, 2.2.2.2, 3.3.3.3', parseTrustProxy('3'))).toBe('1.1.1.1')
    expect(clientIpFromForwardedChain('2.2.2.2', parseTrustProxy('3'))).toBe('2.2.2.2')
  })

  test('TRUST_PROXY addresses skip listed proxies from the right', () => {
    const trust = parseTrustProxy('10.0.0.0/8')
    expect(clientIpFromForwardedChain('6.6.6.6, 203.0.113.7, 10.0.0.2', trust)).toBe('203.0.113.7')
    expect(clientIpFromForwardedChain('6.6.6.6, 203.0.113.7', trust)).toBe('203.0.113.7')
  })

  test('a missing or garbled chain gives no address', () => {
    expect(clientIpFromForwardedChain(undefined, none)).toBeUndefined()
    expect(clientIpFromForwardedChain('', none)).toBeUndefined()
    expect(clientIpFromForwardedChain('not-an-ip', none)).toBeUndefined()
    expect(clientIpFromForwardedChain('6.6.6.6, junk', parseTrustProxy('2'))).toBeUndefined()
    // A trusted hop that reported garbage: keep the last verified address.
    expect(clientIpFromForwardedChain('junk, 203.0.113.7', parseTrustProxy('2'))).toBe('203.0.113.7')
  })
})
