/**
 * The behaviour every in-app integration (Next.js, Express, Hono) must show, over real HTTP
 * against the FAPI stand-in. Written against a base URL and a prefix so one list serves every
 * integration; a target states its platform's rules (who the client is, who compresses).
 * (The lead's `test/conformance/` suite can replace this list once it is on main.)
 */
import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'
import { describe, expect, test as vitestTest } from 'vitest'
import { assetPayload, ENVIRONMENT_JSON, SECRET_COOKIE_EXPIRES, type FapiStandIn } from '../support/fapi-stand-in.ts'

/** The secret every integration run uses; no response may ever contain it. */
export const SECRET = 'sk_live_integrationSecretValue1234567890'

/** One raw HTTP exchange: nothing decoded, redirects not followed, repeated headers kept. */
export interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/**
 * Sends one request with `node:http` (no fetch: it would decode bodies and merge headers).
 *
 * @example
 * const res = await send('http://127.0.0.1:3000/__clerk/v1/client', { method: 'POST', body })
 */
export function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.setTimeout(20_000, () => req.destroy(new Error(`timeout: ${url}`)))
    req.on('error', reject)
    req.end(init.body)
  })
}

/** How one integration is reached and what its platform guarantees. */
export interface IntegrationTarget {
  readonly name: string
  /** The app's base URL (`http://127.0.0.1:port`), available once the suite's `beforeAll` ran. */
  baseUrl(): string
  /** The stand-in the app's proxy points at. */
  fapi(): FapiStandIn
  /** The proxy prefix, e.g. `/__clerk`. */
  readonly prefix: string
  /** The `Clerk-Proxy-Url` Clerk must receive (and `Location`s are rewritten onto). */
  expectedProxyUrl(): string
  /** Headers the platform adds before the app sees a request (Vercel's `x-real-ip`). */
  readonly platformHeaders?: Record<string, string>
  /** The X-Forwarded-For Clerk must see for a plain request from this test. */
  readonly clientIp: string
  /** A client-written X-Forwarded-For and the value Clerk must see despite it. */
  readonly spoofedForwardedFor: { readonly send: string; readonly expect: string }
  /** `passthrough`: upstream's compressed bytes reach the client; `decoded`: any encoding, true to the bytes. */
  readonly encoding: 'passthrough' | 'decoded'
  /** A path outside the prefix the app itself serves, and text its body contains. */
  readonly appRoute?: { readonly path: string; readonly contains: string }
  /**
   * Only for measuring another proxy (Clerk's built-in one): the cases it is known to fail, by
   * title, each with what it does instead. They run as `test.fails`, so a fix upstream shows up
   * as a failure here, and a title that names no case fails too.
   */
  readonly knownDifferences?: Readonly<Record<string, string>>
}

const SPOOFED_HEADERS: Record<string, string> = {
  'x-real-ip': '6.6.6.7',
  'x-forwarded-host': 'evil.example',
  'x-forwarded-proto': 'http',
  'cf-connecting-ip': '6.6.6.8',
  'clerk-proxy-url': 'https://evil.example/__clerk',
  'clerk-secret-key': 'sk_live_evilEvilEvil',
}

/**
 * Registers the cases for one target.
 *
 * @example
 * describeIntegrationCases({ name: 'express', baseUrl: () => url, fapi: () => fapi, prefix: '/__clerk', … })
 */
export function describeIntegrationCases(target: IntegrationTarget): void {
  const titles: string[] = []
  const test = (title: string, fn: () => Promise<void>): void => {
    titles.push(title)
    ;(target.knownDifferences?.[title] === undefined ? vitestTest : vitestTest.fails)(title, fn)
  }
  describe(`integration cases: ${target.name}`, () => {
    const seen: RawResponse[] = []
    const tag = (): string => `t=${randomBytes(6).toString('hex')}`
    const proxied = async (path: string, init: Parameters<typeof send>[1] = {}): Promise<RawResponse> => {
      const headers = { ...init.headers, ...target.platformHeaders }
      const res = await send(target.baseUrl() + target.prefix + path, { ...init, headers })
      seen.push(res)
      return res
    }
    const recorded = (t: string) => target.fapi().waitFor((r) => r.url.includes(t))

    test('forwards through the prefix with the Clerk headers set by the proxy', async () => {
      const t = tag()
      const res = await proxied(`/v1/environment?${t}`)
      expect(res.status).toBe(200)
      expect(res.body.toString()).toBe(ENVIRONMENT_JSON)
      const upstream = await recorded(t)
      expect(upstream.url).toBe(`/v1/environment?${t}`)
      expect(upstream.headers['clerk-secret-key']).toBe(SECRET)
      expect(upstream.headers['clerk-proxy-url']).toBe(target.expectedProxyUrl())
      expect(upstream.headers['x-forwarded-for']).toBe(target.clientIp)
      expect(upstream.headers['host']).toBe(new URL(target.fapi().url).host)
    })

    test('client-sent forwarding, proxy-url and secret headers never decide anything', async () => {
      const t = tag()
      const res = await proxied(`/v1/client?${t}`, {
        headers: { ...SPOOFED_HEADERS, 'x-forwarded-for': target.spoofedForwardedFor.send },
      })
      expect(res.status).toBe(200)
      const upstream = await recorded(t)
      expect(upstream.headers['clerk-secret-key']).toBe(SECRET)
      expect(upstream.headers['clerk-proxy-url']).toBe(target.expectedProxyUrl())
      expect(upstream.headers['x-forwarded-for']).toBe(target.spoofedForwardedFor.expect)
      for (const name of ['x-forwarded-host', 'cf-connecting-ip', 'x-real-ip']) expect(upstream.headers[name]).toBeUndefined()
    })

    test('keeps every Set-Cookie intact', async () => {
      const res = await proxied(`/cookies?${tag()}`)
      expect(res.status).toBe(200)
      expect(res.headers['set-cookie']).toEqual([
        `__client=abc; Path=/; Expires=${SECRET_COOKIE_EXPIRES}; HttpOnly; Secure; SameSite=Lax`,
        `__client_uat=123; Path=/; Expires=${SECRET_COOKIE_EXPIRES}; SameSite=Lax`,
        '__session=eyJ.payload.sig; Path=/; Secure; SameSite=None',
      ])
    })

    test('does not follow redirects and rewrites a Location on the FAPI host', async () => {
      const to = `${target.fapi().url}/v1/oauth_callback?code=abc&state=1`
      const res = await proxied(`/redirect?to=${encodeURIComponent(to)}&status=307&${tag()}`)
      expect(res.status).toBe(307)
      expect(res.headers.location).toBe(`${target.expectedProxyUrl()}/v1/oauth_callback?code=abc&state=1`)
      expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/'])
      const foreign = 'https://accounts.example.com/o/oauth2/auth?client_id=1'
      const away = await proxied(`/redirect?to=${encodeURIComponent(foreign)}&status=302&${tag()}`)
      expect(away.status).toBe(302)
      expect(away.headers.location).toBe(foreign)
      expect(target.fapi().requests.some((r) => r.url.startsWith('/v1/oauth_callback'))).toBe(false)
    })

    test('streams a POST body to Clerk byte for byte', async () => {
      const body = randomBytes(512 * 1024)
      const sha = createHash('sha256').update(body).digest('hex')
      const t = tag()
      const res = await proxied(`/upload?${t}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body.toString())).toEqual({ bodyLength: body.length, bodySha256: sha })
      const form = 'identifier=user%40example.com&strategy=password'
      const echoed = await proxied(`/echo?${tag()}`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      expect(JSON.parse(echoed.body.toString())).toMatchObject({ method: 'POST', bodyLength: form.length, bodySha256: createHash('sha256').update(form).digest('hex') })
    })

    test('passes other methods (OPTIONS, PATCH, DELETE) through', async () => {
      for (const method of ['OPTIONS', 'PATCH', 'DELETE']) {
        const t = tag()
        const res = await proxied(`/echo?${t}`, { method })
        expect(res.status).toBe(200)
        expect((await recorded(t)).method).toBe(method)
      }
    })

    test('Content-Encoding is true to the bytes of a compressed asset', async () => {
      const asset = assetPayload(1_400_000)
      const res = await proxied(`/npm/@clerk/clerk-js@5/dist/clerk.browser.js?${tag()}`, { headers: { 'accept-encoding': 'br, gzip' } })
      expect(res.status).toBe(200)
      const encoding = res.headers['content-encoding']
      if (target.encoding === 'passthrough') expect(encoding).toBe('br')
      const decoded =
        encoding === 'br' ? brotliDecompressSync(res.body) : encoding === 'gzip' ? gunzipSync(res.body) : encoding === 'deflate' ? inflateSync(res.body) : res.body
      expect(encoding === undefined || ['br', 'gzip', 'deflate'].includes(encoding)).toBe(true)
      expect(decoded.equals(asset)).toBe(true)
      const length = res.headers['content-length']
      if (length !== undefined) expect(Number(length)).toBe(res.body.length)
    })

    test('never returns the secret, even when the upstream reflects it', async () => {
      const res = await proxied(`/echo-secret?${tag()}`)
      expect(res.headers['clerk-secret-key']).toBeUndefined()
      expect(res.body.toString()).toBe('ok')
      for (const seenResponse of seen) {
        expect(JSON.stringify(seenResponse.headers)).not.toContain(SECRET)
        // `/echo` reflects request headers by design of the stand-in; everything else must not.
        if (!seenResponse.body.toString().includes('"bodySha256"')) expect(seenResponse.body.toString()).not.toContain(SECRET)
      }
    })

    test('paths outside the prefix are not proxied', async () => {
      const t = tag()
      const res = await send(`${target.baseUrl()}${target.prefix}x/v1/environment?${t}`, { headers: target.platformHeaders })
      expect(res.body.toString()).not.toBe(ENVIRONMENT_JSON)
      expect(target.fapi().requests.some((r) => r.url.includes(t))).toBe(false)
      if (target.appRoute) {
        const app = await send(target.baseUrl() + target.appRoute.path, { headers: target.platformHeaders })
        expect(app.status).toBe(200)
        expect(app.body.toString()).toContain(target.appRoute.contains)
      }
    })

    if (target.knownDifferences) {
      vitestTest('every known difference names a case of this list', () => {
        expect(Object.keys(target.knownDifferences ?? {}).filter((title) => !titles.includes(title))).toEqual([])
      })
    }
  })
}
