/**
 * A real Next.js app (test/nextjs-app) built with `next build` and served by `next start`:
 * the catch-all route handlers on the Node.js runtime (/__clerk) and the Edge runtime
 * (/__clerk_edge), and the middleware helper in proxy.js (/__clerk_mw), each passing the
 * integration cases against the FAPI stand-in. The app is built once per run.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { describeIntegrationCases, SECRET, send } from './cases.ts'
import { NEXT_BUILT_IN_DIFFERENCES } from './clerk-builtin-differences.ts'
import { describeClerkSdkBeside, publishableKeyFor } from './clerk-sdk-cases.ts'
import { startNextApp, type RunningNext } from './nextjs-app.ts'
import { describeNextBodyLimits } from './nextjs-body-limits.ts'

const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'
const VERCEL_CLIENT_IP = '198.51.100.9'

let fapi: FapiStandIn
let app: RunningNext | undefined
let baseUrl = ''

beforeAll(async () => {
  fapi = await startFapiStandIn()
  app = await startNextApp({
    CLERK_SECRET_KEY: SECRET,
    CLERK_FAPI_URL: fapi.url,
    // The variable a Next.js app already has for Clerk's SDK doubles as the proxy's public URL.
    NEXT_PUBLIC_CLERK_PROXY_URL: PUBLIC_PROXY_URL,
    // For @clerk/nextjs's clerkMiddleware() in proxy.js; its Frontend API host is the stand-in.
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: publishableKeyFor(new URL(fapi.url).host),
  })
  baseUrl = app.baseUrl
}, 240_000)

afterAll(async () => {
  await app?.stop()
  await fapi?.close()
  expect(app?.output() ?? '').not.toContain(SECRET)
})

const common = { baseUrl: () => baseUrl, fapi: () => fapi, expectedProxyUrl: () => PUBLIC_PROXY_URL, encoding: 'decoded' } as const

// next start writes the socket address into X-Forwarded-For only when the request has none and
// keeps a received chain as is: the rightmost entry is the nearest peer's report.
describeIntegrationCases({
  ...common,
  name: 'next.js route handlers, Node.js runtime',
  prefix: '/__clerk',
  clientIp: '127.0.0.1',
  spoofedForwardedFor: { send: '6.6.6.6, 203.0.113.7', expect: '203.0.113.7' },
  appRoute: { path: '/', contains: 'home page served by the app' },
})

describeIntegrationCases({
  ...common,
  name: 'next.js route handlers, Edge runtime (Vercel client IP)',
  prefix: '/__clerk_edge',
  platformHeaders: { 'x-real-ip': VERCEL_CLIENT_IP },
  clientIp: VERCEL_CLIENT_IP,
  spoofedForwardedFor: { send: '6.6.6.6', expect: VERCEL_CLIENT_IP },
})

describeIntegrationCases({
  ...common,
  name: 'next.js middleware helper (proxy.js)',
  prefix: '/__clerk_mw',
  clientIp: '127.0.0.1',
  spoofedForwardedFor: { send: '6.6.6.6, 203.0.113.7', expect: '203.0.113.7' },
  appRoute: { path: '/', contains: 'home page served by the app' },
})

// Clerk's own built-in proxy (clerkMiddleware({ frontendApiProxy })) in the same app and run.
describeIntegrationCases({
  ...common,
  name: "next.js: Clerk's built-in frontendApiProxy (clerkMiddleware in proxy.js)",
  prefix: '/__clerk_builtin',
  expectedProxyUrl: () => `${baseUrl}/__clerk_builtin`,
  clientIp: '127.0.0.1',
  spoofedForwardedFor: { send: '6.6.6.6, 203.0.113.7', expect: '203.0.113.7' },
  knownDifferences: NEXT_BUILT_IN_DIFFERENCES,
})

describeClerkSdkBeside({
  name: 'next.js withClerkProxy(clerkMiddleware()) from @clerk/nextjs',
  baseUrl: () => baseUrl,
  fapi: () => fapi,
  prefix: '/__clerk_mw',
  proxyUrl: () => PUBLIC_PROXY_URL,
  page: { path: '/', signedOut: 'page: signed out' },
})

describe('next.js specifics', () => {
  test('the wrapped middleware still runs for the app, not for the proxy prefix', async () => {
    expect((await send(`${baseUrl}/`)).headers['x-inner-middleware']).toBe('ran')
    expect((await send(`${baseUrl}/__clerk_mw/v1/environment`)).headers['x-inner-middleware']).toBeUndefined()
    // Clerk's scripts end in .js, which the first matcher pattern skips: the prefix pattern catches them.
    const script = await send(`${baseUrl}/__clerk_mw/npm/@clerk/clerk-js@5/dist/clerk.browser.js`)
    expect(script.status).toBe(200)
    expect(script.headers['content-type']).toBe('application/javascript')
  })

  test('the Edge runtime query reaches Clerk without the catch-all params Next.js appends', async () => {
    const res = await send(`${baseUrl}/__clerk_edge/v1/client/sessions?_clerk_js_version=5.0.0&x=edge1`, { headers: { 'x-real-ip': VERCEL_CLIENT_IP } })
    expect(res.status).toBe(404) // the stand-in has no such route; the request is what matters
    const upstream = await fapi.waitFor((r) => r.url.includes('x=edge1'))
    expect(upstream.url).toBe('/v1/client/sessions?_clerk_js_version=5.0.0&x=edge1')
  })

  test('the query reaches Clerk with the same meaning; Next.js itself re-serializes it', async () => {
    await send(`${baseUrl}/__clerk/v1/client?path=v1&redirect_url=https%3A%2F%2Fa.example%2F%3Fb%3D1&x=node1`)
    const upstream = await fapi.waitFor((r) => r.url.includes('x=node1'))
    expect(upstream.url).toBe('/v1/client?path=v1&redirect_url=https%3A%2F%2Fa.example%2F%3Fb%3D1&x=node1')
    // next start hands route handlers and middleware a URL whose query went through
    // URLSearchParams: '%20' arrives as '+', "'" as '%27'. Same values for a form-decoding server.
    await send(`${baseUrl}/__clerk/v1/client?a=%20b&c='d&x=node2`)
    const reencoded = await fapi.waitFor((r) => r.url.includes('x=node2'))
    expect(reencoded.url).toBe('/v1/client?a=+b&c=%27d&x=node2')
  })

  test('Edge runtime without x-real-ip: the X-Forwarded-For next start set from the socket', async () => {
    await send(`${baseUrl}/__clerk_edge/v1/client?x=edge2`)
    const upstream = await fapi.waitFor((r) => r.url.includes('x=edge2'))
    expect(upstream.headers['x-forwarded-for']).toBe('127.0.0.1')
  })

  test('app folders named "__x" are private in the App Router: the route folder must be %5F%5Fclerk', async () => {
    expect((await send(`${baseUrl}/__clerk_private/v1/environment`)).status).toBe(404)
  })

  test('documents next start: a lone client-sent X-Forwarded-For is kept by Next.js itself', async () => {
    // Next.js's server sets x-forwarded-for only when absent (base-server `??=`), so without a
    // proxy in front that overwrites it, the single entry is whatever the client sent. The README
    // says to run next start behind such a proxy (or on Vercel). If Next.js ever starts
    // overwriting it, this test fails and the README can drop the caveat.
    await send(`${baseUrl}/__clerk/v1/client?x=lone1`, { headers: { 'x-forwarded-for': '6.6.6.6' } })
    const upstream = await fapi.waitFor((r) => r.url.includes('x=lone1'))
    expect(upstream.headers['x-forwarded-for']).toBe('6.6.6.6')
  })
})

describeNextBodyLimits()
