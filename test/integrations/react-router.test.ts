/**
 * The resource route in a real React Router app (test/react-router-app), built with
 * `react-router build` and served by `react-router-serve`, with @clerk/react-router's
 * clerkMiddleware() (wrapped by withClerkProxy) and rootAuthLoader active on every other route.
 */
import { describeConformance } from '../conformance/suite.ts'
import { SECRET } from './cases.ts'
import { describeClerkSdkBeside, publishableKeyFor } from './clerk-sdk-cases.ts'
import { startApp, startedApp, type FrameworkApp } from './framework-server.ts'

const APP: FrameworkApp = {
  dir: 'test/react-router-app',
  build: ['node_modules/.bin/react-router', 'build'],
  serve: ['node_modules/.bin/react-router-serve', 'build/server/index.js'],
}
const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'
// react-router-serve has no socket address for the app: the end-user IP is the X-Forwarded-For
// a reverse proxy in front sets (here: overwrites), counted from the right with TRUST_PROXY.
const REVERSE_PROXY = { 'x-forwarded-for': '203.0.113.7' }

/** Clerk's SDK needs a publishable key on every route the proxy does not answer. */
const withClerkKeys = (env: Record<string, string>): Record<string, string> => ({
  ...env,
  CLERK_PUBLISHABLE_KEY: env.CLERK_PUBLISHABLE_KEY ?? publishableKeyFor(new URL(env.CLERK_FAPI_URL ?? 'http://127.0.0.1').host),
})

describeConformance({
  name: 'react router resource route (react-router-serve)',
  start: (env) => startApp(APP, withClerkKeys(env)),
  platformHeaders: REVERSE_PROXY,
  expectedClientIp: '203.0.113.7',
  // Fetch decodes Clerk's compressed assets; react-router-serve's compression() encodes again.
  encoding: 'negotiated',
  propagatesAbort: true,
  // Over the body limit, react-router-serve's Node server may drop the connection instead of
  // relaying the 413 (the body-limit cases accept a broken send; Clerk never gets the body whole).
})

const started = startedApp(APP, (fapi) => withClerkKeys({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_URL: PUBLIC_PROXY_URL }), SECRET)

describeClerkSdkBeside({
  name: 'react router + @clerk/react-router clerkMiddleware() and rootAuthLoader',
  baseUrl: () => started.app().baseUrl,
  fapi: started.fapi,
  prefix: '/__clerk',
  proxyUrl: () => PUBLIC_PROXY_URL,
  page: { path: '/home', signedOut: 'page: signed out' },
})
