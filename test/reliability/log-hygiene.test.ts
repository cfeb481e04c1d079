/**
 * Log hygiene: drive every kind of request and failure through `node bin/clerk-proxy.js` in
 * each log format and check that nothing it printed (stdout and stderr, access lines,
 * notices, errors) holds the secret key, a cookie, an Authorization value or a query string.
 */
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { rawRequest, type RawResponse } from './raw-http.ts'
import { eventually, PROCESS_TARGETS, ROOT, testSecret } from './targets.ts'

const QUERY_TOKEN = 'QueryTokenValue1234'
const COOKIE_VALUE = 'CookieValue5678'
const AUTH_VALUE = 'AuthBearerValue9012'
/** What the stand-in sets as cookies (see /cookies) and must not be logged either. */
const UPSTREAM_COOKIE_VALUES = ['eyJ.payload.sig', '__client=abc']

for (const target of PROCESS_TARGETS) {
  for (const format of ['pretty', 'json'] as const) {
    describe(`log hygiene, CLERK_PROXY_LOG=${format} (${target.name})`, () => {
      let fapi: FapiStandIn
      const secret = testSecret()
      let output = ''

      beforeAll(async () => {
        fapi = await startFapiStandIn({ tls: target.upstreamTls })
        const proxy = await target.start({ CLERK_SECRET_KEY: secret, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_LOG: format, CLERK_PROXY_TIMEOUT: '800', CLERK_PROXY_MAX_BODY: '1kb' })
        const q = `?__clerk_db_jwt=${QUERY_TOKEN}&redirect_url=https%3A%2F%2Fapp.example.com%2F%3Ftoken%3D${QUERY_TOKEN}`
        const common = `Host: app.example.com\r\nCookie: __session=${COOKIE_VALUE}; __client_uat=${COOKIE_VALUE}\r\nAuthorization: Bearer ${AUTH_VALUE}\r\nConnection: close`
        const send = (requestLine: string, extra = '', body = ''): Promise<RawResponse> => rawRequest(proxy.url, `${requestLine}\r\n${common}${extra}`, body, { leaveOnceAnswered: true })
        const results = await Promise.all([
          send(`GET /__clerk/v1/client${q} HTTP/1.1`),
          send(`POST /__clerk/v1/client/sign_ins${q} HTTP/1.1`, `\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${`password=${QUERY_TOKEN}`.length}`, `password=${QUERY_TOKEN}`),
          send(`GET /__clerk/cookies${q} HTTP/1.1`),
          send(`GET /__clerk/echo-secret${q} HTTP/1.1`),
          send(`GET /__clerk/redirect?to=https://app.example.com/?t=${QUERY_TOKEN} HTTP/1.1`),
          send(`GET /__clerk/hangup${q} HTTP/1.1`),
          send(`GET /__clerk/garbage${q} HTTP/1.1`),
          send(`GET /__clerk/slow-headers?ms=30000&t=${QUERY_TOKEN} HTTP/1.1`),
          send(`GET /__clerk/stall-body${q} HTTP/1.1`),
          send(`GET /__clerk/reset-mid-body${q} HTTP/1.1`),
          send(`HEAD /__clerk/v1/environment${q} HTTP/1.1`),
          send(`GET /__clerk/v1/%zz${q} HTTP/1.1`),
          send(`POST /__clerk/upload${q} HTTP/1.1`, '\r\nContent-Length: 5000', ''),
          send(`POST /__clerk/upload${q} HTTP/1.1`, '\r\nTransfer-Encoding: chunked', `800\r\n${'x'.repeat(2048)}\r\n0\r\n\r\n`),
          send(`TRACE /__clerk/v1/client${q} HTTP/1.1`),
          send(`GET /__clerk/v1/client${q} HTTP/1.1`, '\r\nUpgrade: websocket'),
          send(`GET /__clerk/v1/client${q}${'a'.repeat(20_000)} HTTP/1.1`),
          send(`GET /__clerk/v1/client${q} HTTP/1.1`, `\r\nX-Big: ${'b'.repeat(20_000)}`),
          send(`GET /outside${q} HTTP/1.1`),
          send(`GET http://evil.example/__clerk/v1/client${q} HTTP/1.1`),
          send(`GET /__clerk/v1/client${q} HTTP/1.1`, '\r\nHost: a b\\c'),
          send(`NOTAMETHOD /__clerk${q} HTTP/1.1`),
          rawRequest(proxy.url, `CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nAuthorization: Bearer ${AUTH_VALUE}`, '', { leaveOnceAnswered: true }),
          // A client that leaves mid-download.
          rawRequest(proxy.url, `GET /__clerk/download?bytes=20000000&t=${QUERY_TOKEN} HTTP/1.1\r\n${common}`, '', { timeoutMs: 300 }),
        ])
        expect(results.length).toBe(24)
        await eventually(() => proxy.output(), (text) => (text.match(/\/__clerk\//g) ?? []).length >= 15)
        await proxy.stop()
        output = proxy.output()
        if (process.env['SHOW_LOGS']) console.log(output)
        await fapi.close()
      }, 90_000)
      afterAll(async () => {
        await fapi?.close()
      })

      it('logged the requests (so the checks below look at real log lines)', () => {
        expect(output).toMatch(/\/__clerk\/v1\/client/)
        expect(output).toMatch(/\/__clerk\/hangup/)
        expect(output).toMatch(/502/)
        expect(output).toMatch(/504/)
        expect(output).toMatch(/413/)
        expect(output).toMatch(/shutting down/)
        // Oversized heads never reach the handler on Bun and Deno: the runtime answers them.
        if (target.socketLevel) {
          expect(output).toMatch(/refused malformed request.*431/)
          expect(output).toMatch(/refused malformed request.*414/)
        }
        if (format === 'json') for (const line of output.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow()
      })

      it('no line holds the secret, a cookie, an Authorization value or a query string', () => {
        expect(output).not.toContain(secret)
        expect(output).not.toContain(secret.slice(8)) // not even its random part
        expect(output).not.toContain(COOKIE_VALUE)
        expect(output).not.toContain(AUTH_VALUE)
        expect(output).not.toContain(QUERY_TOKEN)
        expect(output).not.toContain('__clerk_db_jwt')
        expect(output).not.toMatch(/\?/) // no query string of any kind
        for (const value of UPSTREAM_COOKIE_VALUES) expect(output).not.toContain(value)
      })
    })
  }

  describe(`start-up errors never print the secret (${target.name})`, () => {
    it('a malformed secret key and bad settings are named, not echoed', () => {
      const badSecret = 'sk_live_has spaces and !!! NotPrintMe42'
      const result = spawnSync(process.execPath, ['bin/clerk-proxy.js'], {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', CLERK_SECRET_KEY: badSecret, CLERK_FAPI_URL: 'ftp://x', PORT: '0', CLERK_PROXY_MAX_BODY: 'lots' },
        encoding: 'utf8',
        timeout: 10_000,
      })
      expect(result.status).toBe(1)
      const printed = result.stdout + result.stderr
      expect(printed).toMatch(/CLERK_SECRET_KEY/)
      expect(printed).toMatch(/CLERK_PROXY_MAX_BODY/)
      expect(printed).not.toContain('NotPrintMe42')
    })
  })
}
