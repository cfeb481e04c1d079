import { describe, expect, test } from 'vitest'
import { resolveConfig, resolveServerConfig, resolveUpstreamConfig } from '../../src/config.ts'
import { ConfigurationError } from '../../src/errors.ts'
import { fapiUrlFromPublishableKey, frontendApiHost } from '../../src/fapi-url.ts'
import { parseHttpUrl } from '../../src/public-url.ts'
import { parseProxyUrl } from '../../src/cli/doctor.ts'

const secretKey = 'sk_live_abcdefABCDEF0123456789'
const pk = (host: string, kind = 'live'): string => `pk_${kind}_${btoa(host + '$')}`

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError)
    return (error as ConfigurationError).problems
  }
  throw new Error('expected a ConfigurationError')
}

describe('resolveConfig', () => {
  test('requires CLERK_SECRET_KEY and names it', () => {
    expect(problemsOf(() => resolveConfig({ env: {} }))).toEqual([expect.stringMatching(/^CLERK_SECRET_KEY is required/)])
  })
  test('names the option rather than the variable when the option is at fault', () => {
    expect(problemsOf(() => resolveConfig({ secretKey: 'nope', env: {} }))[0]).toMatch(/^option secretKey must be a Clerk secret key/)
  })
  test('never prints the secret, even a malformed one', () => {
    const bad = 'sk_live_has spaces and a secret tail 12345'
    const problems = problemsOf(() => resolveConfig({ env: { CLERK_SECRET_KEY: bad } }))
    expect(problems.join('\n')).not.toContain('secret tail')
  })
  test('reports every bad variable at once', () => {
    const problems = problemsOf(() =>
      resolveConfig({ env: { CLERK_FAPI_URL: 'ftp://x', CLERK_PROXY_URL: 'not a url', TRUST_PROXY: 'true', CLERK_PROXY_TIMEOUT: '-5' } }),
    )
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['CLERK_SECRET_KEY', 'CLERK_FAPI_URL', 'CLERK_PROXY_URL', 'TRUST_PROXY', 'CLERK_PROXY_TIMEOUT'])
  })
  test('refuses URLs with credentials, queries or fragments', () => {
    for (const url of ['https://u:p@frontend-api.clerk.dev', 'https://frontend-api.clerk.dev?x=1', 'https://frontend-api.clerk.dev#x']) {
      expect(problemsOf(() => resolveConfig({ secretKey, fapiUrl: url }))[0]).toMatch(/^option fapiUrl must not contain/)
    }
  })
  test('defaults: production FAPI, /__clerk, no fixed proxy URL, no trust, 30 s', () => {
    expect(resolveConfig({ secretKey })).toEqual({
      secretKey,
      fapiOrigin: 'https://frontend-api.clerk.dev',
      fapiBasePath: '',
      proxyUrl: undefined,
      proxyPath: '/__clerk',
      trustProxy: { kind: 'none' },
      timeoutMs: 30_000,
      maxBodyBytes: 10 * 1024 * 1024,
      nextMaxBodyBytes: Infinity,
    })
  })
  test('upstream pool defaults: pre-connect, HTTP/2, 8 warm HTTP/1.1 connections, 300 s keep-alive', () => {
    expect(resolveServerConfig({ secretKey }).upstream).toEqual({ keepAliveMs: 300_000, connections: 8, http2: true, preconnect: true })
  })
  test('reads the upstream pool settings from CLERK_PROXY_UPSTREAM_* or options, options first', () => {
    const env = {
      CLERK_PROXY_UPSTREAM_KEEPALIVE: '90s',
      CLERK_PROXY_UPSTREAM_CONNECTIONS: '4',
      CLERK_PROXY_UPSTREAM_HTTP2: 'off',
      CLERK_PROXY_UPSTREAM_PRECONNECT: 'false',
    }
    expect(resolveServerConfig({ secretKey, env }).upstream).toEqual({ keepAliveMs: 90_000, connections: 4, http2: false, preconnect: false })
    expect(resolveServerConfig({ secretKey, env, upstreamConnections: 16, upstreamHttp2: true }).upstream).toMatchObject({ connections: 16, http2: true })
    expect(resolveUpstreamConfig({ env: { CLERK_PROXY_UPSTREAM_PRECONNECT: 'off' } }).preconnect).toBe(false)
  })
  test('rejects bad upstream pool settings, naming the variable', () => {
    const env = {
      CLERK_PROXY_UPSTREAM_KEEPALIVE: 'forever',
      CLERK_PROXY_UPSTREAM_CONNECTIONS: '0',
      CLERK_PROXY_UPSTREAM_HTTP2: 'maybe',
      CLERK_PROXY_UPSTREAM_PRECONNECT: '2',
    }
    const message = problemsOf(() => resolveServerConfig({ secretKey, env })).join('\n')
    for (const name of Object.keys(env)) expect(message).toContain(name)
    expect(message).toContain('from 1 to 256')
    expect(message).toContain('on or off')
    expect(message).not.toContain(secretKey)
  })
  test('takes the FAPI URL from the option, CLERK_FAPI_URL, CLERK_FAPI, then the publishable key', () => {
    expect(resolveConfig({ secretKey, fapiUrl: 'http://127.0.0.1:9/base/', env: { CLERK_FAPI_URL: 'https://other' } })).toMatchObject({
      fapiOrigin: 'http://127.0.0.1:9',
      fapiBasePath: '/base',
    })
    expect(resolveConfig({ secretKey, env: { CLERK_FAPI: 'https://alias.example' } }).fapiOrigin).toBe('https://alias.example')
    expect(resolveConfig({ secretKey, env: { CLERK_PUBLISHABLE_KEY: pk('clerk.x.accountsstage.dev') } }).fapiOrigin).toBe(
      'https://frontend-api.clerkstage.dev',
    )
  })
  test('takes the prefix from CLERK_PROXY_PATH, else the path of CLERK_PROXY_URL', () => {
    expect(resolveConfig({ secretKey, env: { CLERK_PROXY_URL: 'https://app.example.com/auth/clerk/' } })).toMatchObject({
      proxyUrl: 'https://app.example.com/auth/clerk',
      proxyPath: '/auth/clerk',
    })
    expect(resolveConfig({ secretKey, env: { CLERK_PROXY_URL: 'https://app.example.com/x', CLERK_PROXY_PATH: '/y/' } }).proxyPath).toBe('/y')
    expect(resolveConfig({ secretKey, proxyPath: '/' }).proxyPath).toBe('')
    expect(problemsOf(() => resolveConfig({ secretKey, proxyPath: 'clerk' }))[0]).toMatch(/must start with "\/"/)
    expect(problemsOf(() => resolveConfig({ secretKey, proxyPath: '/a/../b' }))[0]).toMatch(/\. or \.\. segments/)
  })
  test('reads timeouts in milliseconds or seconds', () => {
    expect(resolveConfig({ secretKey, env: { CLERK_PROXY_TIMEOUT: '2.5s' } }).timeoutMs).toBe(2500)
    expect(resolveConfig({ secretKey, timeout: 1200 }).timeoutMs).toBe(1200)
  })
  test('reads the environment through a lookup function too', () => {
    expect(resolveConfig({ env: (name) => (name === 'CLERK_SECRET_KEY' ? secretKey : undefined) }).secretKey).toBe(secretKey)
  })
})

describe('publishable keys', () => {
  test('map to Clerk FAPI hosts as Clerk does', () => {
    expect(fapiUrlFromPublishableKey(pk('clerk.example.com'))).toBe('https://frontend-api.clerk.dev')
    expect(fapiUrlFromPublishableKey(pk('foo-bar-1.clerk.accounts.dev', 'test'))).toBe('https://frontend-api.clerk.dev')
    expect(fapiUrlFromPublishableKey(pk('x.lclclerk.com'))).toBe('https://frontend-api.lclclerk.com')
    expect(frontendApiHost(pk('clerk.example.com'))).toBe('clerk.example.com')
  })
  test('malformed keys are rejected', () => {
    for (const bad of ['pk_live_', 'pk_prod_' + btoa('x$'), 'pk_live_' + btoa('no-dollar'), 'pk_live_' + btoa('evil/path$')]) {
      expect(fapiUrlFromPublishableKey(bad), bad).toBeUndefined()
    }
  })
})

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

describe("Clerk's cases: the FAPI URL from the publishable key (CLERK-CASES 1–5)", () => {
  test('1. pk_live_ for clerk.example.com → production FAPI', () => {
    expect(resolveConfig({ secretKey, publishableKey: pk('clerk.example.com') }).fapiOrigin).toBe('https://frontend-api.clerk.dev')
  })
  test('2. pk_test_ for myapp.lclclerk.com → local FAPI', () => {
    expect(resolveConfig({ secretKey, publishableKey: pk('myapp.lclclerk.com', 'test') }).fapiOrigin).toBe('https://frontend-api.lclclerk.com')
  })
  test('3. pk_test_ for clerk.accountsstage.dev → staging FAPI', () => {
    expect(resolveConfig({ secretKey, publishableKey: pk('clerk.accountsstage.dev', 'test') }).fapiOrigin).toBe('https://frontend-api.clerkstage.dev')
  })
  test('4. pk_test_ for clerk.example.lclclerk.com (legacy development) → production FAPI', () => {
    expect(resolveConfig({ secretKey, publishableKey: pk('clerk.example.lclclerk.com', 'test') }).fapiOrigin).toBe('https://frontend-api.clerk.dev')
  })
  test('5. a malformed key is refused at start, naming CLERK_PUBLISHABLE_KEY (differs: Clerk falls back to production FAPI)', () => {
    const problems = problemsOf(() => resolveConfig({ secretKey, env: { CLERK_PUBLISHABLE_KEY: 'pk_live_not-base64-key!!' } }))
    expect(problems).toEqual(['CLERK_PUBLISHABLE_KEY must be a Clerk publishable key (pk_live_… or pk_test_…)'])
  })
})

describe("Clerk's case 22: a FAPI URL Clerk's helper refuses is refused at start", () => {
  test('another scheme, credentials, a query, a fragment, or not a URL', () => {
    const cases: [string, RegExp][] = [
      ['ftp://frontend-api.clerk.dev', /must use https:\/\//],
      ['https://user:pass@frontend-api.clerk.dev', /must not contain credentials/],
      ['https://frontend-api.clerk.dev/?x=1', /must not contain a query string or fragment/],
      ['https://frontend-api.clerk.dev/#x', /must not contain a query string or fragment/],
      ['frontend-api.clerk.dev', /must be an absolute URL/],
    ]
    for (const [url, problem] of cases) {
      const [only, ...rest] = problemsOf(() => resolveConfig({ secretKey, env: { CLERK_FAPI_URL: url } }))
      expect(only, url).toMatch(new RegExp(`^CLERK_FAPI_URL ${problem.source}`))
      expect(rest).toEqual([])
    }
  })
})

describe('the public proxy URL: one spelling everywhere', () => {
  test('lower-case host, no default port, no trailing slash', () => {
    expect(parseHttpUrl('https://App.Example.COM:443/__clerk/')).toEqual({ ok: true, origin: 'https://app.example.com', path: '/__clerk', href: 'https://app.example.com/__clerk' })
    expect(parseHttpUrl(' http://localhost:3000/a/b// ')).toMatchObject({ ok: true, href: 'http://localhost:3000/a/b' })
    expect(resolveConfig({ secretKey, env: { CLERK_PROXY_URL: 'https://App.example.com/__clerk/' } }).proxyUrl).toBe('https://app.example.com/__clerk')
    // doctor and enable read a URL the same way.
    expect(parseProxyUrl('https://App.example.com/__clerk/')).toBe('https://app.example.com/__clerk')
  })
  test('refused at start, naming CLERK_PROXY_URL, for a query, fragment, credentials or another scheme, without echoing it', () => {
    const cases: [string, string][] = [
      ['https://app.example.com/__clerk?x=1', 'must not contain a query string or fragment'],
      ['https://app.example.com/__clerk#top', 'must not contain a query string or fragment'],
      ['https://admin:hunter2@app.example.com/__clerk', 'must not contain credentials'],
      ['ws://app.example.com/__clerk', 'must use https:// (or http:// for local testing), got ws://'],
    ]
    for (const [url, problem] of cases) {
      const problems = problemsOf(() => resolveConfig({ secretKey, env: { CLERK_PROXY_URL: url } }))
      expect(problems, url).toEqual([`CLERK_PROXY_URL ${problem}`])
      expect(() => parseProxyUrl(url)).toThrow(`the proxy URL ${problem}`)
    }
    expect(problemsOf(() => resolveConfig({ secretKey, env: { CLERK_PROXY_URL: 'https://admin:hunter2@app.example.com/__clerk' } })).join()).not.toContain('hunter2')
  })
})
