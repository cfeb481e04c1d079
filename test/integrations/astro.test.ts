/**
 * The middleware and the endpoint in a real Astro app (test/astro-app), built with `astro build`
 * and served by the Node adapter's standalone server, with @clerk/astro's integration and
 * clerkMiddleware() (wrapped by withClerkProxy) active on every other route.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { describeConformance } from '../conformance/suite.ts'
import { SECRET, send } from './cases.ts'
import { describeClerkSdkBeside, publishableKeyFor } from './clerk-sdk-cases.ts'
import { startApp, startedApp, type FrameworkApp } from './framework-server.ts'

const APP: FrameworkApp = {
  dir: 'test/astro-app',
  build: ['node_modules/.bin/astro', 'build'],
  serve: ['test/astro-app/dist/server/entry.mjs'],
}
const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'

/** Clerk's SDK needs a publishable key (and the proxy URL, under its own name) on every other route. */
const withClerk = (env: Record<string, string>, fixtureProxy: 'middleware' | 'endpoint'): Record<string, string> => ({
  ...env,
  FIXTURE_PROXY: fixtureProxy,
  PUBLIC_CLERK_PUBLISHABLE_KEY: publishableKeyFor(new URL(env.CLERK_FAPI_URL ?? 'http://127.0.0.1').host),
  ...(env.CLERK_PROXY_URL ? { PUBLIC_CLERK_PROXY_URL: env.CLERK_PROXY_URL } : {}),
})

// Astro's clientAddress is the leftmost X-Forwarded-For entry (client-written), so the proxy
// counts the chain from the right instead: the end-user IP is what a reverse proxy in front sets.
const REVERSE_PROXY = { 'x-forwarded-for': '203.0.113.7' }

for (const fixtureProxy of ['middleware', 'endpoint'] as const) {
  describeConformance({
    name: `astro ${fixtureProxy} (node adapter, standalone)`,
    start: (env) => startApp(APP, withClerk(env, fixtureProxy)),
    platformHeaders: REVERSE_PROXY,
    expectedClientIp: '203.0.113.7',
    // Fetch decodes Clerk's compressed assets; the standalone server does not compress.
    encoding: 'decoded',
    propagatesAbort: true,
    knownDifferences: {
      'streams request bodies byte-exact (POST, DELETE with a body, form posts)':
        "Astro's checkOrigin answers 403 itself to a form post without a same-origin Origin header (browsers send one: see below)",
    },
  })
}

const started = startedApp(APP, (fapi) => withClerk({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_URL: PUBLIC_PROXY_URL }, 'middleware'), SECRET)

describe("astro's own rule: form posts must carry a same-origin Origin", () => {
  test('a form DELETE from the page origin reaches Clerk byte for byte; without Origin, Astro refuses it before the proxy', async () => {
    const form = 'identifier=user%40example.com&password=p%26ss'
    const tag = randomBytes(6).toString('hex')
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(form.length) }
    const sameOrigin = await send(`${started.app().baseUrl}/__clerk/echo/${tag}?_method=DELETE`, { method: 'DELETE', body: form, headers: { ...headers, origin: started.app().baseUrl } })
    expect(sameOrigin.status).toBe(200)
    expect((await started.fapi().waitFor((r) => r.url.includes(tag))).bodyText).toBe(form)
    const before = started.fapi().requests.length
    const crossSite = await send(`${started.app().baseUrl}/__clerk/echo/x?_method=DELETE`, { method: 'DELETE', body: form, headers })
    expect(crossSite.status).toBe(403)
    expect(crossSite.body.toString()).toContain('Cross-site DELETE form submissions are forbidden')
    expect(started.fapi().requests.length).toBe(before)
  })
})

describeClerkSdkBeside({
  name: 'astro + @clerk/astro clerkMiddleware()',
  baseUrl: () => started.app().baseUrl,
  fapi: started.fapi,
  prefix: '/__clerk',
  proxyUrl: () => PUBLIC_PROXY_URL,
  page: { path: '/home', signedOut: 'page: signed out' },
})
