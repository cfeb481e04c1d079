import { describe, expect, test } from 'vitest'
import { resolveOperationsConfig } from '../../src/config.ts'
import { ConfigurationError } from '../../src/errors.ts'
import { requestIdFor } from '../../src/request-id.ts'
import { parseTrustProxy } from '../../src/client-ip.ts'

describe('operating settings (CLERK_PROXY_METRICS_PORT, CLERK_PROXY_METRICS_HOST, CLERK_PROXY_WORKERS)', () => {
  test('metrics are off and one process serves when nothing is set', () => {
    expect(resolveOperationsConfig({ env: {} }, 8)).toEqual({ metrics: undefined, workers: 1 })
  })

  test('a metrics port binds 127.0.0.1 unless a host is given', () => {
    expect(resolveOperationsConfig({ env: { CLERK_PROXY_METRICS_PORT: '9464' } }, 1).metrics).toEqual({ port: 9464, host: '127.0.0.1' })
    expect(resolveOperationsConfig({ env: { CLERK_PROXY_METRICS_PORT: '9464', CLERK_PROXY_METRICS_HOST: '0.0.0.0' } }, 1).metrics).toEqual({ port: 9464, host: '0.0.0.0' })
    expect(resolveOperationsConfig({ metricsPort: 9100, env: { CLERK_PROXY_METRICS_PORT: '9464' } }, 1).metrics?.port).toBe(9100)
  })

  test('workers: a count, or auto for one per CPU', () => {
    expect(resolveOperationsConfig({ env: { CLERK_PROXY_WORKERS: '3' } }, 8).workers).toBe(3)
    expect(resolveOperationsConfig({ env: { CLERK_PROXY_WORKERS: 'auto' } }, 8).workers).toBe(8)
    expect(resolveOperationsConfig({ workers: 'AUTO', env: {} }, 2).workers).toBe(2)
  })

  test.each([
    [{ CLERK_PROXY_METRICS_PORT: 'abc' }, 'CLERK_PROXY_METRICS_PORT must be a port number'],
    [{ CLERK_PROXY_METRICS_PORT: '70000' }, 'CLERK_PROXY_METRICS_PORT must be a port number'],
    [{ CLERK_PROXY_METRICS_PORT: '9464', CLERK_PROXY_METRICS_HOST: 'a b' }, 'CLERK_PROXY_METRICS_HOST must be an address'],
    [{ CLERK_PROXY_WORKERS: '0' }, 'CLERK_PROXY_WORKERS must be a number of workers'],
    [{ CLERK_PROXY_WORKERS: 'many' }, 'CLERK_PROXY_WORKERS must be a number of workers'],
  ])('%o is refused with a message naming the variable', (env, message) => {
    expect(() => resolveOperationsConfig({ env }, 2)).toThrow(ConfigurationError)
    expect(() => resolveOperationsConfig({ env }, 2)).toThrow(message)
  })
})

describe('request ids', () => {
  const loopback = parseTrustProxy('loopback')
  test("a trusted proxy's well-formed id is kept; anyone else's is replaced", () => {
    expect(requestIdFor('lb-123', '127.0.0.1', loopback)).toBe('lb-123')
    expect(requestIdFor('lb-123', '203.0.113.7', loopback)).not.toBe('lb-123')
    expect(requestIdFor('lb-123', '127.0.0.1', parseTrustProxy(undefined))).not.toBe('lb-123')
  })
  test('ids with characters that could forge a log line are replaced', () => {
    for (const bad of ['a b', 'a\nb', 'a"b', 'x'.repeat(129), '']) expect(requestIdFor(bad, '127.0.0.1', loopback)).not.toBe(bad)
  })
})
