/**
 * The handle hook in a real SvelteKit app (test/sveltekit-app), built with `vite build` and
 * served by adapter-node's server. SvelteKit has no Clerk SDK of Clerk's own (the Clerk SDK cases
 * do not apply).
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { describeConformance } from '../conformance/suite.ts'
import { SECRET, send } from './cases.ts'
import { startApp, startedApp, type FrameworkApp } from './framework-server.ts'

const APP: FrameworkApp = {
  dir: 'test/sveltekit-app',
  build: ['node_modules/.bin/vite', 'build'],
  serve: ['test/sveltekit-app/build/index.js'],
}
const CSRF = "SvelteKit's csrf.checkOrigin answers 403 itself to a form post without a same-origin Origin header (browsers send one: see below)"

describeConformance({
  name: 'sveltekit handle hook (adapter-node)',
  start: (env) => startApp(APP, env),
  // getClientAddress() on adapter-node is the socket address (no ADDRESS_HEADER set).
  expectedClientIp: '127.0.0.1',
  // Fetch decodes Clerk's compressed assets; adapter-node's server does not compress.
  encoding: 'decoded',
  propagatesAbort: true,
  knownDifferences: {
    'streams request bodies byte-exact (POST, DELETE with a body, form posts)': CSRF,
    'a custom prefix configured with a trailing slash is normalized: it alone is proxied, with its own Clerk-Proxy-Url':
      'SvelteKit answers `<prefix>/` itself with a 308 to `<prefix>` (its trailing-slash normalization, before hooks); that target reaches the same FAPI path',
  },
})

describe("sveltekit's own rule: form posts must carry a same-origin Origin", () => {
  const started = startedApp(APP, (fapi) => ({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url }), SECRET)

  test('a form DELETE from the page origin reaches Clerk byte for byte; without Origin, SvelteKit refuses it before the hook', async () => {
    const form = 'identifier=user%40example.com&password=p%26ss'
    const tag = randomBytes(6).toString('hex')
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(form.length) }
    // adapter-node takes the app's origin from ORIGIN, else https:// + Host: the page's origin.
    const origin = started.app().baseUrl.replace('http:', 'https:')
    const sameOrigin = await send(`${started.app().baseUrl}/__clerk/echo/${tag}?_method=DELETE`, { method: 'DELETE', body: form, headers: { ...headers, origin } })
    expect(sameOrigin.status).toBe(200)
    expect((await started.fapi().waitFor((r) => r.url.includes(tag))).bodyText).toBe(form)
    const before = started.fapi().requests.length
    const crossSite = await send(`${started.app().baseUrl}/__clerk/echo/x?_method=DELETE`, { method: 'DELETE', body: form, headers })
    expect(crossSite.status).toBe(403)
    expect(started.fapi().requests.length).toBe(before)
  })

  test('SvelteKit redirects the prefix with a trailing slash to the prefix before the hook; the target is proxied', async () => {
    const tag = randomBytes(6).toString('hex')
    const redirected = await send(`${started.app().baseUrl}/__clerk/?tag=${tag}`)
    expect(redirected.status).toBe(308)
    expect(redirected.headers.location).toBe(`/__clerk?tag=${tag}`)
    await send(`${started.app().baseUrl}/__clerk?tag=${tag}`)
    expect((await started.fapi().waitFor((r) => r.url.includes(tag))).url).toBe(`/?tag=${tag}`)
  })

  test("the app's own routes still answer", async () => {
    expect((await send(`${started.app().baseUrl}/home`)).body.toString()).toBe('home page served by sveltekit')
  })
})
