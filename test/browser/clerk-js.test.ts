/**
 * Real browser, real clerk-js, real proxy: Chromium loads the `@clerk/clerk-js` bundle through
 * the proxy, `Clerk.load()` finishes, a user signs in with a password and through an OAuth
 * round trip, fetches a session token, signs out, and comes back through the handshake; the
 * FAPI stand-in's record then shows what the proxy sent. Run against the Node adapter and the
 * core proxy in workerd.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Page, Request as BrowserRequest } from 'playwright-core'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium } from '../support/chromium.ts'
import { CLERK_JS_DIST, DEMO_SECRET_KEY, DEMO_USER, startClerkJsStandIn, type Answer, type ClerkJsStandIn } from '../support/clerk-js-stand-in.ts'
import { startNodeTarget, startWorkerdTarget, type ProxyTarget } from './targets.ts'

const ARTIFACTS = new URL('../../test-results/', import.meta.url)

interface AppWindow {
  app: {
    ready: Promise<void>
    signIn(email: string, password: string): Promise<{ status: string; userId: string | null }>
    oauth(strategy?: string): Promise<void>
    token(): Promise<{ jwt: string; claims: Record<string, unknown> }>
    signOut(): Promise<void>
  }
  Clerk: {
    loaded: boolean
    status: string
    environment: { displayConfig: { applicationName: string } } | null
    user: { id: string; primaryEmailAddress: { emailAddress: string } } | null
    session: { id: string } | null
  }
}

const decodeJwt = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>

const targets = [
  { name: 'node', start: startNodeTarget, keepsGzip: true },
  { name: 'workerd', start: startWorkerdTarget, keepsGzip: false },
] as const

describe.each(targets)('clerk-js in Chromium through the proxy on $name', ({ name, start, keepsGzip }) => {
  let clerk: ClerkJsStandIn
  let target: ProxyTarget
  let browser: Browser
  /** Every request the browser made, in every context of this suite. */
  const browserRequests: BrowserRequest[] = []
  const pageErrors: string[] = []

  beforeAll(async () => {
    clerk = await startClerkJsStandIn()
    target = await start(clerk.fapi.url)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await target?.close()
    await clerk?.close()
  })

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext()
    context.on('request', (r) => browserRequests.push(r))
    const page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
    return { context, page }
  }

  async function openApp(page: Page, url = target.appUrl): Promise<void> {
    await page.goto(url)
    await page.evaluate(() => (window as unknown as AppWindow).app.ready)
    await expect.poll(() => page.locator('#status').getAttribute('data-state')).toBe('ready')
    // `ready`, not `degraded`: clerk-js degrades quietly when it cannot use the environment or
    // client it fetched.
    expect(await page.evaluate(() => (window as unknown as AppWindow).Clerk.status)).toBe('ready')
  }

  const signedInEmail = (page: Page): Promise<string | null> =>
    page.evaluate(() => (window as unknown as AppWindow).Clerk.user?.primaryEmailAddress.emailAddress ?? null)

  test('Clerk.load() through the proxy, password sign-in, a session token, sign-out', async () => {
    const { context, page } = await newPage()
    const firstAnswer = clerk.answers.length
    const bundle = page.waitForResponse((r) => r.url().endsWith('/dist/clerk.browser.js'))
    await openApp(page)

    // The bundle and its chunk files came through the proxy and decoded in the browser.
    const bundleResponse = await bundle
    expect(bundleResponse.url()).toBe(`${target.proxyUrl}/npm/@clerk/clerk-js@6/dist/clerk.browser.js`)
    expect(bundleResponse.status()).toBe(200)
    // FAPI (here, the stand-in) sent it gzipped; the browser decoded exactly the published bytes.
    // The Node adapter keeps the gzip on the wire; in workerd, the runtime picks the encoding.
    const bundleAnswer = clerk.answers.find((a) => a.request.url === '/npm/@clerk/clerk-js@6/dist/clerk.browser.js')
    expect(bundleAnswer?.contentEncoding).toBe('gzip')
    expect((await bundleResponse.body()).equals(readFileSync(join(CLERK_JS_DIST, 'clerk.browser.js')))).toBe(true)
    if (keepsGzip) expect(await bundleResponse.headerValue('content-encoding')).toBe('gzip')
    const chunks = clerk.answers.filter((a) => /^\/npm\/@clerk\/clerk-js@[\d.]+\/dist\/.+_clerk\.browser_.+\.js$/.test(a.request.url))
    expect(chunks.length).toBeGreaterThanOrEqual(2)
    expect(chunks.every((a) => a.status === 200)).toBe(true)
    expect(await page.evaluate(() => (window as unknown as AppWindow).Clerk.environment?.displayConfig.applicationName)).toBe('FAPI stand-in (local)')
    expect(await signedInEmail(page)).toBeNull()

    const result = await page.evaluate(
      ({ email, password }) => (window as unknown as AppWindow).app.signIn(email, password),
      { email: DEMO_USER.email, password: DEMO_USER.password },
    )
    expect(result).toEqual({ status: 'complete', userId: DEMO_USER.id })
    expect(await signedInEmail(page)).toBe(DEMO_USER.email)
    const sessionId = await page.evaluate(() => (window as unknown as AppWindow).Clerk.session?.id)
    expect(sessionId).toMatch(/^sess_/)

    // The sign-in form post reached FAPI intact, and FAPI's cookies landed in the browser.
    const signInPost = clerk.answers.find((a) => a.request.method === 'POST' && a.request.url.startsWith('/v1/client/sign_ins?'))!
    expect(new URLSearchParams(signInPost.request.bodyText).get('identifier')).toBe(DEMO_USER.email)
    expect(signInPost.setCookies.filter((c) => /^__client(_uat)?=/.test(c))).toHaveLength(2)
    const cookies = await context.cookies()
    const jar = (name: string) => cookies.find((c) => c.name === name)
    expect(jar('__client')).toMatchObject({ httpOnly: true, domain: 'localhost' })
    expect(Number(jar('__client_uat')?.value)).toBeGreaterThan(0)

    const { jwt, claims } = await page.evaluate(() => (window as unknown as AppWindow).app.token())
    expect(clerk.issuedTokens).toContain(jwt)
    expect(claims).toMatchObject({ sub: DEMO_USER.id, sid: sessionId, iss: target.proxyUrl })
    expect(decodeJwt(jwt)).toEqual(claims)
    const tokenPost = clerk.answers.find((a) => a.request.url.startsWith(`/v1/client/sessions/${sessionId}/tokens?`))
    expect(tokenPost?.status).toBe(200)

    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: new URL(`signed-in-${name}.png`, ARTIFACTS).pathname, fullPage: true })
    writeFileSync(new URL(`sign-in-record-${name}.txt`, ARTIFACTS), describeAnswers(clerk.answers.slice(firstAnswer)))

    // Sign-out: DELETE tunnelled as POST, then clerk-js navigates back to the app.
    await Promise.all([
      page.waitForURL((url) => url.searchParams.get('flow') === 'signed-out'),
      page.evaluate(() => void (window as unknown as AppWindow).app.signOut()),
    ])
    await page.evaluate(() => (window as unknown as AppWindow).app.ready)
    expect(await signedInEmail(page)).toBeNull()
    const signOut = clerk.answers.find((a) => {
      const url = new URL(a.request.url, 'http://stand-in')
      return a.request.method === 'POST' && url.pathname === '/v1/client/sessions' && url.searchParams.get('_method') === 'DELETE'
    })
    expect(signOut?.status).toBe(200)
    expect((await context.cookies()).find((c) => c.name === '__client_uat')?.value).toBe('0')
    await context.close()
  })

  test('handshake: the browser follows both 307s itself and lands on the app with the cookies', async () => {
    const { context, page } = await newPage()
    await openApp(page)
    await page.evaluate(({ email, password }) => (window as unknown as AppWindow).app.signIn(email, password), {
      email: DEMO_USER.email,
      password: DEMO_USER.password,
    })
    // `load=0`: the page leaves clerk-js out, so the jar shows what the redirect set.
    const landing = `${target.appUrl}?flow=handshake&load=0`
    const response = await page.goto(`${target.proxyUrl}/v1/client/handshake?redirect_url=${encodeURIComponent(landing)}`)
    expect(page.url()).toBe(landing)
    expect(response?.status()).toBe(200)

    // The chain the browser saw: handshake 307 -> (Location rewritten onto the proxy) sync 307 -> app.
    const chain: string[] = []
    for (let r = response?.request().redirectedFrom(); r; r = r.redirectedFrom()) chain.unshift(r.url())
    expect(chain).toHaveLength(2)
    expect(chain[0]).toMatch(new RegExp(`^${escapeRegExp(target.proxyUrl)}/v1/client/handshake\\?`))
    expect(chain[1]).toBe(`${target.proxyUrl}/v1/client/sync?redirect_url=${encodeURIComponent(landing)}`)
    const sync = clerk.answers.find((a) => a.request.url.startsWith('/v1/client/sync?'))!
    expect(sync.status).toBe(307)
    expect(sync.location).toBe(landing)

    const cookies = await context.cookies()
    const session = cookies.find((c) => c.name === '__session')
    expect(session).toBeDefined()
    expect(decodeJwt(session!.value)).toMatchObject({ sub: DEMO_USER.id, handshake: true })
    expect(Number(cookies.find((c) => c.name === '__client_uat')?.value)).toBeGreaterThan(0)
    await context.close()
  })

  test('OAuth: out to the provider stand-in, back through /v1/oauth_callback, signed in on the app', async () => {
    const { context, page } = await newPage()
    await openApp(page)
    const done = page.waitForURL((url) => url.searchParams.get('flow') === 'oauth-done', { timeout: 20_000 })
    await page.evaluate(() => void (window as unknown as AppWindow).app.oauth())
    await done
    await page.evaluate(() => (window as unknown as AppWindow).app.ready)
    expect(await signedInEmail(page)).toBe(DEMO_USER.email)

    // The browser, not the proxy, visited the provider, and the provider sent it back through
    // the proxy (FAPI built redirect_uri from Clerk-Proxy-Url).
    expect(clerk.provider.requests).toHaveLength(1)
    const authorize = clerk.provider.requests[0]!
    expect(authorize.headers['user-agent']).toMatch(/Chrome/)
    expect(authorize.headers['clerk-secret-key']).toBeUndefined()
    expect(new URL(authorize.url, 'http://x').searchParams.get('redirect_uri')).toBe(`${target.proxyUrl}/v1/oauth_callback`)
    const callback = clerk.answers.find((a) => a.request.url.startsWith('/v1/oauth_callback?'))!
    expect(callback.status).toBe(303)
    expect(callback.location).toBe(`${target.appUrl}?flow=sso-callback`)
    expect(callback.setCookies.some((c) => c.startsWith('__client='))).toBe(true)
    expect(browserRequests.some((r) => r.url().startsWith(`${target.proxyUrl}/v1/oauth_callback?`))).toBe(true)
    expect((await context.cookies()).some((c) => c.name === '__client' && c.httpOnly)).toBe(true)
    await context.close()
  })

  test('OAuth with form_post: the provider POSTs the browser back through the proxy', async () => {
    const { page } = await newPage()
    await openApp(page)
    const before = clerk.provider.requests.length
    const done = page.waitForURL((url) => url.searchParams.get('flow') === 'oauth-done', { timeout: 20_000 })
    await page.evaluate(() => void (window as unknown as AppWindow).app.oauth('oauth_apple'))
    await done
    await page.evaluate(() => (window as unknown as AppWindow).app.ready)
    expect(await signedInEmail(page)).toBe(DEMO_USER.email)
    expect(clerk.provider.requests.slice(before).map((r) => new URL(r.url, 'http://x').searchParams.get('response_mode'))).toEqual(['form_post'])
    const callback = clerk.answers.find((a) => a.request.method === 'POST' && a.request.url.startsWith('/v1/oauth_callback'))!
    expect(new URLSearchParams(callback.request.bodyText).get('code')).toMatch(/^code-for-/)
    expect(callback.status).toBe(303)
    expect(callback.location).toBe(`${target.appUrl}?flow=sso-callback`)
    await page.context().close()
  })

  test("the stand-in's record: proxy headers and the browser's IP on every request, no server-side redirects, nothing off the FAPI host", () => {
    const fapiHost = new URL(clerk.fapi.url).host
    expect(clerk.fapi.requests.length).toBeGreaterThan(15)
    // The Node server's start-up probe (docs/network.md): its own HEAD /v1/environment before any
    // visitor, carrying neither the secret nor anyone's address. Every other request is the browser's.
    const isStartupProbe = (r: (typeof clerk.fapi.requests)[number]): boolean => r.method === 'HEAD' && r.url === '/v1/environment' && r.headers['x-forwarded-for'] === undefined
    const probes = clerk.fapi.requests.filter(isStartupProbe)
    expect(probes.length).toBeLessThanOrEqual(1)
    for (const probe of probes) expect(probe.headers['clerk-secret-key']).toBeUndefined()
    for (const request of clerk.fapi.requests.filter((r) => !isStartupProbe(r))) {
      const where = `${request.method} ${request.url}`
      expect(request.headers['clerk-secret-key'], where).toBe(DEMO_SECRET_KEY)
      expect(request.headers['clerk-proxy-url'], where).toBe(target.proxyUrl)
      expect(request.headers['x-forwarded-for'], where).toBe('127.0.0.1')
      expect(request.headers.host, where).toBe(fapiHost)
    }
    // Every answer was one the stand-in meant to give (no 404 for something clerk-js needed).
    expect(clerk.answers.filter((a) => a.status >= 400).map((a) => `${a.status} ${a.request.method} ${a.request.url}`)).toEqual([])

    // Redirects: for every 3xx the stand-in sent, the browser itself requested the Location
    // (rewritten onto the proxy when it named FAPI); the proxy never requested it.
    const redirects = clerk.answers.filter((a) => a.status >= 300 && a.status < 400)
    expect(redirects.length).toBeGreaterThanOrEqual(3)
    const visited = new Set(browserRequests.map((r) => r.url()))
    for (const answer of redirects) {
      const location = answer.location!
      const expected = location.startsWith(clerk.fapi.url) ? target.proxyUrl + location.slice(clerk.fapi.url.length) : location
      expect(visited.has(expected), `browser requested ${expected}`).toBe(true)
    }
    expect(clerk.fapi.requests.some((r) => r.url.includes('flow='))).toBe(false)
    expect(clerk.provider.requests.every((r) => r.headers['clerk-secret-key'] === undefined)).toBe(true)

    // The browser only ever talked to the app, the proxy and the provider stand-in.
    const allowed = new Set([new URL(target.appUrl).origin, new URL(target.proxyUrl).origin, clerk.provider.url])
    const elsewhere = browserRequests.map((r) => r.url()).filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && !allowed.has(new URL(u).origin))
    expect(elsewhere).toEqual([])
    expect(pageErrors).toEqual([])
  })
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** One line per request: what FAPI received (method, target, the proxy's headers) and answered. */
function describeAnswers(answers: readonly Answer[]): string {
  return answers
    .map((a) => {
      const h = a.request.headers
      const cookies = a.setCookies.map((c) => c.slice(0, c.indexOf('=')))
      return [
        `${a.request.method} ${a.request.url}`,
        `  -> ${a.status}${a.location ? ` Location: ${a.location}` : ''}${cookies.length ? ` Set-Cookie: ${cookies.join(', ')}` : ''}${a.contentEncoding ? ` Content-Encoding: ${a.contentEncoding}` : ''}`,
        `  clerk-proxy-url: ${String(h['clerk-proxy-url'])}; clerk-secret-key: ${h['clerk-secret-key'] ? 'sk_live_…(present)' : 'MISSING'}; x-forwarded-for: ${String(h['x-forwarded-for'])}; host: ${String(h.host)}`,
        a.request.bodyText ? `  body: ${a.request.bodyText.replace(/password=[^&]*/, 'password=…')}` : '',
      ]
        .filter(Boolean)
        .join('\n')
    })
    .join('\n')
    .concat('\n')
}
