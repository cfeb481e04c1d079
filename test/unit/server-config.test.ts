import { describe, expect, test } from 'vitest'
import { resolveServerConfig } from '../../src/config.ts'
import { ConfigurationError } from '../../src/errors.ts'

const secretKey = 'sk_live_abcdefABCDEF0123456789'

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError)
    return (error as ConfigurationError).problems
  }
  throw new Error('expected a ConfigurationError')
}

describe('resolveServerConfig: what a standalone server runs with', () => {
  test('defaults: every interface on port 3000, pretty log, 10 s shutdown, 20 s headers, 120 s request', () => {
    const config = resolveServerConfig({ env: { CLERK_SECRET_KEY: secretKey } })
    expect(config).toMatchObject({ port: 3000, hostname: '0.0.0.0', log: 'pretty', shutdownTimeoutMs: 10_000, headersTimeoutMs: 20_000, requestTimeoutMs: 120_000 })
    expect(config.proxy.proxyPath).toBe('/__clerk')
  })

  test('reads PORT, HOST, CLERK_PROXY_LOG and the three timeouts from the environment', () => {
    const config = resolveServerConfig({
      env: {
        CLERK_SECRET_KEY: secretKey,
        PORT: ' 8080 ',
        HOST: '127.0.0.1',
        CLERK_PROXY_LOG: 'json',
        CLERK_PROXY_SHUTDOWN_TIMEOUT: '5s',
        CLERK_PROXY_HEADERS_TIMEOUT: '1500',
        CLERK_PROXY_REQUEST_TIMEOUT: '0',
      },
    })
    expect(config).toMatchObject({ port: 8080, hostname: '127.0.0.1', log: 'json', shutdownTimeoutMs: 5000, headersTimeoutMs: 1500, requestTimeoutMs: 0 })
  })

  test('options win over the environment; a logger object leaves the format to CLERK_PROXY_LOG', () => {
    const env = { CLERK_SECRET_KEY: secretKey, PORT: '8080', HOST: '127.0.0.1', CLERK_PROXY_LOG: 'off', CLERK_PROXY_SHUTDOWN_TIMEOUT: '5s' }
    expect(resolveServerConfig({ env, port: 0, host: '::1', log: 'json', shutdownTimeoutMs: 250 })).toMatchObject({ port: 0, hostname: '::1', log: 'json', shutdownTimeoutMs: 250 })
    expect(resolveServerConfig({ env, log: { access() {}, info() {}, error() {} } }).log).toBe('off')
  })

  test('a bad value is named by its variable, with what was given', () => {
    const env = { CLERK_SECRET_KEY: secretKey }
    expect(problemsOf(() => resolveServerConfig({ env: { ...env, PORT: 'eighty' } }))).toEqual(['PORT must be a port number from 0 to 65535, got "eighty"'])
    expect(problemsOf(() => resolveServerConfig({ env: { ...env, PORT: '70000' } }))).toEqual(['PORT must be a port number from 0 to 65535, got "70000"'])
    expect(problemsOf(() => resolveServerConfig({ env: { ...env, CLERK_PROXY_LOG: 'loud' } }))).toEqual(['CLERK_PROXY_LOG must be one of pretty, json, off, got "loud"'])
    expect(problemsOf(() => resolveServerConfig({ env: { ...env, CLERK_PROXY_SHUTDOWN_TIMEOUT: '5 minutes' } }))).toEqual([
      'CLERK_PROXY_SHUTDOWN_TIMEOUT must be a duration in milliseconds (20000) or seconds (20s), got "5 minutes"',
    ])
    expect(problemsOf(() => resolveServerConfig({ env, port: 65536 }))).toEqual(['option port must be a port number from 0 to 65535, got "65536"'])
  })

  test('proxy and server problems are reported together, the secret never among them', () => {
    const bad = 'sk_live_has spaces and a secret tail 12345'
    const problems = problemsOf(() => resolveServerConfig({ env: { CLERK_SECRET_KEY: bad, PORT: 'x', CLERK_PROXY_HEADERS_TIMEOUT: 'soon' } }))
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['CLERK_SECRET_KEY', 'PORT', 'CLERK_PROXY_HEADERS_TIMEOUT'])
    expect(problems.join('\n')).not.toContain('secret tail')
  })
})
