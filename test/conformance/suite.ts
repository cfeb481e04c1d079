/**
 * The behaviour every adapter must show, written against a base URL so the same cases run on
 * every runtime. A target says how to start the proxy in its runtime and states the platform's
 * rules where platforms legitimately differ (who the client is, who compresses).
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, test as vitestTest } from 'vitest'
import { assetPayload, fingerprint, realAsset, SECRET_COOKIE_EXPIRES, startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { headerValues, sendRaw, type RawRequest, type RawResponse } from '../support/http-client.ts'
import { describeBodyLimits } from './body-limits.ts'
import { refusedPort } from '../support/refused-port.ts'

/** The secret every conformance run uses; no response may ever contain it. */
export const SECRET = 'sk_live_conformanceSecretValue1234567890'
/** The public proxy URL configured in the runs that set CLERK_PROXY_URL. */
export const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'

/** A proxy started in some runtime. */
export interface RunningTarget {
  readonly baseUrl: string
  stop(): Promise<void>
}

/** How one runtime is started and what its platform guarantees. */
export interface ConformanceTarget {
  readonly name: string
  /**
   * Whether the target enforces `CLERK_PROXY_MAX_BODY` (default true). Clerk's built-in proxy
   * has no such setting, so the body-limit cases say nothing about it: they are not registered.
   */
  readonly enforcesBodyLimit?: boolean
  /** Starts the proxy with exactly these environment variables. */
  start(env: Record<string, string>): Promise<RunningTarget>
  /**
   * Headers the platform sets in production before the proxy sees a request (e.g. Vercel's
   * x-real-ip); like the platform, they replace any copy the client sent.
   */
  readonly platformHeaders?: Record<string, string>
  /** The rule: the X-Forwarded-For value Clerk must see for a request from this test. */
  readonly expectedClientIp: string
  /**
   * The rule for compressed assets: `passthrough` (the upstream's compressed bytes reach the
   * client unchanged) or `decoded` (the runtime's fetch decodes; the proxy drops the encoding
   * headers so the bytes are true to them, and the platform's edge compresses in production),
   * or `negotiated` (the platform encodes for the client itself, as Cloudflare does: the body
   * arrives compressed in an encoding the client accepts, not necessarily the upstream's one),
   * or `recompressed` (the runtime's fetch decodes and the proxy gzips again for a client that
   * accepts gzip, within 1.1× the upstream's gzip size; plain bytes for any other client).
   */
  readonly encoding: 'passthrough' | 'decoded' | 'negotiated' | 'recompressed'
  /**
   * Only for a local emulator whose HTTP layer keeps just the last `Set-Cookie` of a response
   * (Netlify's): reads, inside the runtime, the `Set-Cookie`s of the proxy's own `Response` for
   * a request target on `proxy`. The rule then tested: the proxy returned every cookie, and the
   * wire shows exactly the emulator's collapse to the last one.
   */
  readonly handlerSetCookies?: (baseUrl: string, target: string) => Promise<string[]>
  /** Whether the runtime reports a client disconnect to the proxy, so it can abort upstream. */
  readonly propagatesAbort: boolean
  /**
   * The cases this target is known to fail, by title, each with why: another proxy measured
   * against ours (Clerk's built-in one), or a framework that answers a request itself before
   * the proxy sees it. They run as `test.fails`, so a fix shows up as a failure here, and a
   * title that names no case fails too.
   */
  readonly knownDifferences?: Readonly<Record<string, string>>
  /**
   * False for a local emulator that loses an answer given before the request body was read (a
   * declared length over the limit): Netlify's relays the body to the function with Node's
   * fetch, which fails when the function answers first, and the client gets the emulator's 502.
   */
  readonly relaysEarlyAnswers?: boolean
  /**
   * Set where the platform's routing, not the proxy, decides which paths reach it (Netlify's
   * `config.path` in the function file): the prefix it routes. A custom prefix is then that one.
   */
  readonly routedPrefix?: string
}

/** The custom prefix Clerk's cases use, configured with a trailing slash to be normalized. */
export const CUSTOM_PREFIX = '/custom-clerk'
/** The public URL of the custom-prefix run, also configured with a trailing slash. */
export const CUSTOM_PUBLIC_ORIGIN = 'https://example.com'

/** A `pk_live_` publishable key for a host, as Clerk encodes it. */
const publishableKey = (host: string): string => `pk_live_${Buffer.from(`${host}$`).toString('base64')}`

/**
 * Registers the conformance cases for one target.
 *
 * @example
 * describeConformance({ name: 'node', start: startNode, expectedClientIp: '127.0.0.1', encoding: 'passthrough', propagatesAbort: true })
 */
/**
 * How many requests reached the stand-in, leaving out the standalone servers' start-up probes
 * (`HEAD /v1/environment`, sent once a server listens), which may land while a test counts.
 */
const visitorRequests = (fapi: FapiStandIn): number => fapi.requests.filter((r) => !(r.method === 'HEAD' && r.url === '/v1/environment')).length

export function describeConformance(target: ConformanceTarget): void {
  const titles: string[] = []
  const test = (title: string, fn: () => Promise<void>): void => {
    titles.push(title)
    ;(target.knownDifferences?.[title] === undefined ? vitestTest : vitestTest.fails)(title, fn)
  }
  describe(`conformance: ${target.name}`, () => {
    let fapi: FapiStandIn
    let evil: Server
    let evilHits = 0
    let evilPort = 0
    let proxy: RunningTarget
    let derived: RunningTarget
    let custom: RunningTarget
    const customPrefix = target.routedPrefix ?? CUSTOM_PREFIX
    const responses: RawResponse[] = []

    beforeAll(async () => {
      fapi = await startFapiStandIn()
      evil = createServer((_req, res) => {
        evilHits++
        res.end('evil')
      })
      await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r))
      evilPort = (evil.address() as AddressInfo).port
      // Started side by side: some runtimes take a second or two to boot.
      ;[proxy, derived, custom] = await Promise.all([
        target.start({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_URL: PUBLIC_PROXY_URL }),
        target.start({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url }),
        // Clerk's cases 13, 20–21 and 30: a prefix and URLs configured with trailing slashes, and
        // an explicit FAPI URL that wins over a publishable key naming another FAPI.
        target.start({
          CLERK_SECRET_KEY: SECRET,
          CLERK_FAPI_URL: `${fapi.url}/`,
          CLERK_PUBLISHABLE_KEY: publishableKey('clerk.example.com'),
          CLERK_PROXY_PATH: `${customPrefix}/`,
          CLERK_PROXY_URL: `${CUSTOM_PUBLIC_ORIGIN}${customPrefix}/`,
        }),
      ])
    })

    afterAll(async () => {
      await Promise.allSettled([proxy?.stop(), derived?.stop(), custom?.stop()])
      await fapi?.close()
      await new Promise((r) => evil?.close(r))
    })

    const send = async (req: RawRequest, on: RunningTarget = proxy): Promise<RawResponse> => {
      const res = await sendRaw(on.baseUrl, { ...req, headers: withPlatformHeaders(req.headers, target.platformHeaders) })
      responses.push(res)
      return res
    }
    const tagged = (tag: string) => (r: { url: string }) => r.url.includes(tag)
    const expectSetCookies = async (res: RawResponse, requestTarget: string, expected: string[]): Promise<void> => {
      const onWire = headerValues(res.rawHeaders, 'set-cookie')
      if (!target.handlerSetCookies) return void expect(onWire).toEqual(expected)
      // The emulator keeps the last Set-Cookie only; the proxy's own Response must hold them all.
      expect(onWire).toEqual(expected.slice(-1))
      expect(await target.handlerSetCookies(proxy.baseUrl, requestTarget)).toEqual(expected)
    }
    const unique = (): string => randomBytes(6).toString('hex')

    test('forwards the path after the prefix and the query byte-for-byte', async () => {
      const tag = unique()
      const target = `/__clerk/echo/${tag}/a%2Fb?x=%20y&z=1&z=2&redirect_url=https%3A%2F%2Fapp.example.test%2F&e=`
      const res = await send({ target })
      expect(res.status).toBe(200)
      const seen = await fapi.waitFor(tagged(tag))
      expect(seen.url).toBe(`/echo/${tag}/a%2Fb?x=%20y&z=1&z=2&redirect_url=https%3A%2F%2Fapp.example.test%2F&e=`)
    })

    test('GET /__clerk/v1/client reaches FAPI as exactly /v1/client with the proxy headers, FAPI Host and the client\'s other headers', async () => {
      const agent = `conformance-${unique()}`
      const res = await send({ target: '/__clerk/v1/client', headers: { 'User-Agent': agent } })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body.toString())).toEqual({ response: null, client: null })
      const seen = await fapi.waitFor((r) => r.headers['user-agent'] === agent)
      expect(seen.method).toBe('GET')
      expect(seen.url).toBe('/v1/client')
      expect(headerValues(seen.rawHeaders, 'host')).toEqual([new URL(fapi.url).host])
      expect(headerValues(seen.rawHeaders, 'clerk-proxy-url')).toEqual([PUBLIC_PROXY_URL])
      expect(headerValues(seen.rawHeaders, 'clerk-secret-key')).toEqual([SECRET])
      expect(headerValues(seen.rawHeaders, 'user-agent')).toEqual([agent])
    })

    test('sets Clerk-Proxy-Url, Clerk-Secret-Key and X-Forwarded-For, overwriting every client copy', async () => {
      const tag = unique()
      await send({
        target: `/__clerk/echo/${tag}`,
        headers: {
          'Clerk-Secret-Key': 'sk_live_forged',
          'clerk-proxy-url': 'https://evil.example/__clerk',
          'X-Forwarded-For': ['6.6.6.6', '7.7.7.7'],
          'X-Real-IP': '6.6.6.6',
          'CF-Connecting-IP': '6.6.6.6',
          'True-Client-IP': '6.6.6.6',
          Forwarded: 'for=6.6.6.6;host=evil.example',
          'X-Forwarded-Host': 'evil.example',
          'X-Forwarded-Proto': 'http',
        },
      })
      const seen = await fapi.waitFor(tagged(tag))
      expect(headerValues(seen.rawHeaders, 'clerk-secret-key')).toEqual([SECRET])
      expect(headerValues(seen.rawHeaders, 'clerk-proxy-url')).toEqual([PUBLIC_PROXY_URL])
      expect(headerValues(seen.rawHeaders, 'x-forwarded-for')).toEqual([target.expectedClientIp])
      const all = seen.rawHeaders.join('\n')
      expect(all).not.toContain('6.6.6.6')
      expect(all).not.toContain('7.7.7.7')
      expect(all).not.toContain('evil.example')
      expect(all).not.toContain('sk_live_forged')
    })

    test('derives the public proxy URL from its own origin, never from client X-Forwarded-Host', async () => {
      const tag = unique()
      await send({ target: `/__clerk/echo/${tag}`, headers: { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' } }, derived)
      const seen = await fapi.waitFor(tagged(tag))
      const [proxyUrl] = headerValues(seen.rawHeaders, 'clerk-proxy-url')
      expect(proxyUrl).toMatch(/\/__clerk$/)
      expect(proxyUrl).not.toContain('evil.example')
      expect(new URL(proxyUrl!).host).toBe(new URL(derived.baseUrl).host)
    })

    test('drops hop-by-hop headers, Expect and the client Host; forwards the rest', async () => {
      const tag = unique()
      await send({
        target: `/__clerk/echo/${tag}`,
        headers: {
          Connection: 'keep-alive, X-Hop-Secret',
          'X-Hop-Secret': 'hop',
          'Keep-Alive': 'timeout=5',
          TE: 'trailers',
          'Proxy-Authorization': 'Basic Zm9vOmJhcg==',
          'X-Custom': 'kept',
          Cookie: '__client=abc; __session=def',
          Authorization: 'Bearer token-for-fapi',
        },
      })
      const seen = await fapi.waitFor(tagged(tag))
      for (const dropped of ['x-hop-secret', 'keep-alive', 'te', 'proxy-authorization', 'expect']) {
        expect(headerValues(seen.rawHeaders, dropped), dropped).toEqual([])
      }
      expect(headerValues(seen.rawHeaders, 'x-custom')).toEqual(['kept'])
      expect(headerValues(seen.rawHeaders, 'cookie')).toEqual(['__client=abc; __session=def'])
      expect(headerValues(seen.rawHeaders, 'authorization')).toEqual(['Bearer token-for-fapi'])
      expect(headerValues(seen.rawHeaders, 'host')).toEqual([new URL(fapi.url).host])
    })

    test('keeps every Set-Cookie as its own header, Expires dates intact', async () => {
      const res = await send({ target: '/__clerk/cookies' })
      await expectSetCookies(res, '/__clerk/cookies', [
        `__client=abc; Path=/; Expires=${SECRET_COOKIE_EXPIRES}; HttpOnly; Secure; SameSite=Lax`,
        `__client_uat=123; Path=/; Expires=${SECRET_COOKIE_EXPIRES}; SameSite=Lax`,
        '__session=eyJ.payload.sig; Path=/; Secure; SameSite=None',
      ])
    })

    test('does not follow redirects and rewrites FAPI Locations onto the public proxy URL', async () => {
      const cases: [string, string][] = [
        [`${fapi.url}/v1/oauth_callback?code=1`, `${PUBLIC_PROXY_URL}/v1/oauth_callback?code=1`],
        ['/v1/client/sync?redirect_url=x', `${PUBLIC_PROXY_URL}/v1/client/sync?redirect_url=x`],
        ['https://accounts.google.com/o/oauth2/auth?x=1', 'https://accounts.google.com/o/oauth2/auth?x=1'],
      ]
      for (const [location, expected] of cases) {
        const tag = unique()
        const requestTarget = `/__clerk/redirect?status=307&tag=${tag}&to=${encodeURIComponent(location)}`
        const res = await send({ target: requestTarget })
        expect(res.status).toBe(307)
        expect(res.headers.location).toBe(expected)
        await expectSetCookies(res, requestTarget, ['a=1; Path=/', 'b=2; Path=/'])
      }
      // Nothing fetched the redirect targets server-side.
      expect(fapi.requests.some((r) => r.url.startsWith('/v1/oauth_callback') || r.url.startsWith('/v1/client/sync'))).toBe(false)
    })

    test('streams request bodies byte-exact (POST, DELETE with a body, form posts)', async () => {
      const body = randomBytes(1024 * 1024 + 7)
      const res = await send({ method: 'POST', target: '/__clerk/upload', body, headers: { 'content-type': 'application/octet-stream' } })
      expect(JSON.parse(res.body.toString())).toEqual({ bodyLength: body.length, bodySha256: createHash('sha256').update(body).digest('hex') })
      const form = 'identifier=user%40example.com&password=p%26ss'
      const tag = unique()
      await send({ method: 'DELETE', target: `/__clerk/echo/${tag}?_method=DELETE`, body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      const seen = await fapi.waitFor(tagged(tag))
      expect(seen.method).toBe('DELETE')
      expect(seen.bodyText).toBe(form)
    })

    test('keeps Content-Encoding and Content-Length true to the bytes sent', async () => {
      const asset = assetPayload(1_400_000)
      for (const accept of ['gzip', 'br', 'gzip, br', '']) {
        const res = await send({ target: '/__clerk/npm/@clerk/clerk-js@5/dist/clerk.browser.js', headers: accept ? { 'Accept-Encoding': accept } : {} })
        expect(res.status).toBe(200)
        const encoding = res.headers['content-encoding']
        if (res.headers['content-length'] !== undefined) expect(Number(res.headers['content-length'])).toBe(res.body.length)
        const decoded = encoding === 'gzip' ? gunzipSync(res.body) : encoding === 'br' ? brotliDecompressSync(res.body) : res.body
        expect(decoded.equals(asset), `accept-encoding: ${accept}`).toBe(true)
        if (target.encoding === 'passthrough' && accept) {
          expect(encoding).toBe(accept.includes('br') ? 'br' : 'gzip')
          expect(res.body.length).toBeLessThan(asset.length / 10)
        }
        if (target.encoding === 'negotiated' && accept) {
          expect(accept.split(',').map((e) => e.trim())).toContain(encoding)
          expect(res.body.length).toBeLessThan(asset.length / 10)
        }
        if (target.encoding === 'recompressed') expect(encoding).toBe(accept.includes('gzip') ? 'gzip' : undefined)
        if (!accept || target.encoding === 'decoded') expect(encoding).toBeUndefined()
      }
    })

    if (target.encoding === 'recompressed') {
      test('gzips a decoded asset again for a client that accepts it: at most 1.1× the upstream gzip on the wire', async () => {
        const asset = realAsset()
        const res = await send({ target: '/__clerk/clerk-js-bundle.js', headers: { 'Accept-Encoding': 'gzip, deflate, br' } })
        expect(res.status).toBe(200)
        expect(res.headers['content-encoding']).toBe('gzip')
        expect(gunzipSync(res.body).equals(asset)).toBe(true)
        expect(res.body.length).toBeLessThanOrEqual(gzipSync(asset).length * 1.1)
        expect(fapi.requests.at(-1)?.headers['accept-encoding']).toBe('gzip')
      })
    }

    test('passes statuses and errors through, HEAD without a body', async () => {
      for (const code of [201, 204, 400, 401, 403, 404, 422, 500, 503]) {
        const res = await send({ target: `/__clerk/status?code=${code}` })
        expect(res.status).toBe(code)
      }
      const head = await send({ method: 'HEAD', target: '/__clerk/v1/environment' })
      expect(head.status).toBe(200)
      expect(head.body.length).toBe(0)
    })

    test('holds the prefix boundary: /__clerkx, /__clerk-admin and other paths get 404 and never reach Clerk', async () => {
      const before = visitorRequests(fapi)
      for (const target of ['/__clerkx', '/__clerkx/v1/client', '/__clerk-admin/v1/client', '/api/users', '/__cler', '/v1/client', '/']) {
        const res = await send({ target })
        expect(res.status, target).toBe(404)
      }
      expect(visitorRequests(fapi)).toBe(before)
      const tag = unique()
      await send({ target: `/__clerk?tag=${tag}` })
      const seen = await fapi.waitFor(tagged(tag))
      expect(seen.url).toBe(`/?tag=${tag}`)
    })

    test('a custom prefix configured with a trailing slash is normalized: it alone is proxied, with its own Clerk-Proxy-Url', async () => {
      const tag = unique()
      expect((await send({ target: `${customPrefix}/v1/client?tag=${tag}` }, custom)).status).toBe(200)
      // The prefix itself, with and without its slash, is FAPI's root (the stand-in has no page there).
      for (const target of [`${customPrefix}?tag=${tag}`, `${customPrefix}/?tag=${tag}`]) await send({ target }, custom)
      const seen = fapi.requests.filter(tagged(tag))
      expect(seen.map((r) => r.url)).toEqual([`/v1/client?tag=${tag}`, `/?tag=${tag}`, `/?tag=${tag}`])
      for (const r of seen) expect(headerValues(r.rawHeaders, 'clerk-proxy-url')).toEqual([`${CUSTOM_PUBLIC_ORIGIN}${customPrefix}`])
      const before = visitorRequests(fapi)
      const outside = [`${customPrefix}-admin/v1/client`, '/api/users', ...(customPrefix === '/__clerk' ? [] : ['/__clerk/v1/client'])]
      for (const target of outside) expect((await send({ target }, custom)).status, target).toBe(404)
      expect(visitorRequests(fapi)).toBe(before)
    })

    test('an explicit FAPI URL wins over the publishable key, and its trailing slash is dropped', async () => {
      const agent = `fapi-url-${unique()}`
      await send({ target: `${customPrefix}/v1/client`, headers: { 'User-Agent': agent } }, custom)
      // Reaching the stand-in at all shows the URL won over the key (which names frontend-api.clerk.dev).
      const seen = await fapi.waitFor((r) => r.headers['user-agent'] === agent)
      expect(seen.url).toBe('/v1/client')
      expect(headerValues(seen.rawHeaders, 'host')).toEqual([new URL(fapi.url).host])
    })

    test('a double slash after the prefix (/__clerk//evil.com/steal) still goes to the FAPI host', async () => {
      const tag = unique()
      const res = await send({ target: `/__clerk//127.0.0.1:${evilPort}/steal?tag=${tag}` })
      expect(res.body.toString()).not.toBe('evil')
      const seen = await fapi.waitFor(tagged(tag))
      expect(seen.url).toMatch(new RegExp(`^/+127\\.0\\.0\\.1:${evilPort}/steal\\?tag=${tag}$`))
      expect(evilHits).toBe(0)
    })

    // TRACE is left out: several platforms refuse it before any code runs (edge-runtime's local
    // server throws on it); where it reaches the proxy it gets 405 (test/reliability/hostile.test.ts).
    test('scanner probes (odd paths and methods) are answered, never with a 5xx', async () => {
      const probes: [string, string][] = [
        ['GET', '/__clerk/.env'],
        ['GET', '/__clerk/wp-login.php'],
        ['GET', '/__clerk/..%2f..%2fetc/passwd'],
        ['GET', '/__clerk/%2e%2e/%2e%2e/'],
        ['GET', '/__clerk/;/v1/client'],
        ['GET', '/__clerk/v1/client?%00=%ff'],
        ['POST', '/__clerk/cgi-bin/.%2e/bin/sh'],
        ['OPTIONS', '/__clerk/*'],
        ['PROPFIND', '/__clerk/'],
        ['PURGE', '/__clerk/v1/environment'],
        ['GET', '/.git/config'],
        ['GET', '/__clerk/' + 'a'.repeat(2000)],
      ]
      for (const [method, path] of probes) {
        const res = await send({ method, target: path })
        expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(200)
        expect(res.status, `${method} ${path}`).toBeLessThan(500)
        expect(res.text).not.toContain(SECRET)
      }
    })

    test('no input can steer the request to another host', async () => {
      const evilHost = `127.0.0.1:${evilPort}`
      const targets = [
        `/__clerk//${evilHost}/x`,
        `/__clerk/\\\\${evilHost}/x`,
        `/__clerk/@${evilHost}/x`,
        `/__clerk/%2F%2F${evilHost}/x`,
        `/__clerk/..%2F..%2F${evilHost}`,
        `/__clerk/../../${evilHost}`,
        `/__clerk/%2e%2e/%2e%2e/x`,
        `/__clerk/v1?@${evilHost}`,
        `http://${evilHost}/__clerk/v1/client`,
      ]
      for (const t of targets) {
        const res = await send({ target: t, headers: { Host: evilHost } }).catch((e: Error) => e)
        if (!(res instanceof Error)) expect(res.body.toString(), t).not.toBe('evil')
      }
      expect(evilHits).toBe(0)
    })

    test('streams responses: the first chunk arrives before Clerk finishes', async () => {
      const { request } = await import('node:http')
      const base = new URL(proxy.baseUrl)
      const first = await new Promise<string>((resolve, reject) => {
        const r = request({ host: base.hostname, port: base.port, path: '/__clerk/stream', headers: target.platformHeaders, agent: false }, (res) => {
          res.once('data', (chunk: Buffer) => {
            resolve(chunk.toString())
            fapi.release()
            res.resume()
          })
        })
        r.on('error', reject)
        r.end()
      })
      expect(first).toContain('first chunk')
    })

    // Where the runtime reports a disconnect, the upstream request is aborted at once; where it
    // does not (a local emulator), the rule is that it never outlives the proxy timeout.
    const abortRule = target.propagatesAbort
      ? 'a client disconnect aborts the upstream request'
      : 'a client disconnect the runtime does not report still ends the upstream request by the timeout'
    test(abortRule, async () => {
      const on = target.propagatesAbort ? proxy : await target.start({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_TIMEOUT: '500' })
      try {
        const tag = unique()
        const { request } = await import('node:http')
        const base = new URL(on.baseUrl)
        const r = request({ host: base.hostname, port: base.port, path: `/__clerk/hold?tag=${tag}`, headers: target.platformHeaders, agent: false })
        r.on('error', () => {})
        r.end()
        const seen = await fapi.waitFor(tagged(tag))
        r.destroy()
        await expect.poll(() => seen.aborted).toBe(true)
        // The abort crashed nothing (Clerk's helper hit a Node AbortSignal crash here): the next request is served.
        expect((await send({ target: '/__clerk/v1/environment' }, on)).status).toBe(200)
      } finally {
        if (on !== proxy) await on.stop()
      }
    })

    test('answers 502 proxy_request_failed when Clerk is unreachable and 504 proxy_timeout when it is slow', async () => {
      const closedPort = await refusedPort()
      const [unreachable, slow] = await Promise.all([
        target.start({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: `http://127.0.0.1:${closedPort}` }),
        target.start({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_TIMEOUT: '300' }),
      ])
      try {
        const failed = await send({ target: '/__clerk/v1/client' }, unreachable)
        expect(failed.status).toBe(502)
        expect(failed.headers['cache-control']).toBe('no-store')
        expect(JSON.parse(failed.body.toString()).errors[0].code).toBe('proxy_request_failed')
        const timedOut = await send({ target: '/__clerk/slow-headers?ms=3000' }, slow)
        expect(timedOut.status).toBe(504)
        expect(timedOut.headers['cache-control']).toBe('no-store')
        expect(JSON.parse(timedOut.body.toString()).errors[0]).toMatchObject({ code: 'proxy_timeout' })
      } finally {
        await Promise.allSettled([unreachable.stop(), slow.stop()])
      }
    })

    test('answers 500 proxy_configuration_error (no-store) or refuses to start without a valid secret or FAPI URL, naming the variable, never echoing it, sending nothing', async () => {
      const badSecret = 'not-a-secret-value-9876'
      const cases: [Record<string, string>, string, string | undefined][] = [
        [{ CLERK_FAPI_URL: fapi.url }, 'CLERK_SECRET_KEY', undefined],
        [{ CLERK_SECRET_KEY: badSecret, CLERK_FAPI_URL: fapi.url }, 'CLERK_SECRET_KEY', badSecret],
        [{ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: `ftp://user:pw-9876@127.0.0.1:${new URL(fapi.url).port}/` }, 'CLERK_FAPI_URL', 'pw-9876'],
      ]
      const before = visitorRequests(fapi)
      const outcomes = await Promise.all(cases.map(([env]) => target.start(env).then((started) => ({ started }), (error: unknown) => ({ error }))))
      for (const [i, outcome] of outcomes.entries()) {
        const [, variable, hidden] = cases[i]!
        if ('error' in outcome) {
          expect(String(outcome.error)).toContain(variable)
          if (hidden) expect(String(outcome.error)).not.toContain(hidden)
          continue
        }
        try {
          const res = await send({ target: '/__clerk/v1/client' }, outcome.started)
          expect(res.status).toBe(500)
          expect(res.headers['cache-control']).toBe('no-store')
          expect(JSON.parse(res.body.toString()).errors[0].code).toBe('proxy_configuration_error')
          expect(res.text).toContain(variable)
          if (hidden) expect(res.text).not.toContain(hidden)
        } finally {
          await outcome.started.stop()
        }
      }
      expect(visitorRequests(fapi)).toBe(before)
    })

    test('never returns the secret key, even when Clerk reflects it', async () => {
      const res = await send({ target: '/__clerk/echo-secret' })
      expect(res.status).toBe(200)
      expect(res.headers['clerk-secret-key']).toBeUndefined()
      const echoed = await send({ target: '/__clerk/echo' })
      expect(JSON.parse(echoed.body.toString()).headers['clerk-secret-key']).toBe(fingerprint(SECRET))
      for (const r of responses) expect(r.text).not.toContain(SECRET)
    })

    if (target.knownDifferences) {
      vitestTest('every known difference names a case of this suite', () => {
        expect(Object.keys(target.knownDifferences ?? {}).filter((title) => !titles.includes(title))).toEqual([])
      })
    }
  })
  if (target.enforcesBodyLimit !== false) describeBodyLimits(target, test)
}

/** The client's headers with the platform's own set on top, replacing client copies of them. */
function withPlatformHeaders(
  client: Record<string, string | string[]> | undefined,
  platform: Record<string, string> | undefined,
): Record<string, string | string[]> {
  if (!platform) return { ...client }
  const names = new Set(Object.keys(platform).map((name) => name.toLowerCase()))
  const kept = Object.entries(client ?? {}).filter(([name]) => !names.has(name.toLowerCase()))
  return { ...Object.fromEntries(kept), ...platform }
}
