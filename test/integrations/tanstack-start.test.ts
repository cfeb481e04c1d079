/**
 * The request middleware and the server route in a real TanStack Start app
 * (test/tanstack-start-app), built with `vite build` and served by srvx, with
 * @clerk/tanstack-react-start's clerkMiddleware() active after the proxy's middleware.
 */
import { describeConformance } from '../conformance/suite.ts'
import { SECRET } from './cases.ts'
import { describeClerkSdkBeside, publishableKeyFor } from './clerk-sdk-cases.ts'
import { startApp, startedApp, type FrameworkApp } from './framework-server.ts'

const APP: FrameworkApp = {
  dir: 'test/tanstack-start-app',
  build: ['node_modules/.bin/vite', 'build'],
  serve: ['node_modules/.bin/srvx', 'serve', '--prod', '--entry', 'dist/server/server.js', '--port', '0', '--host', '127.0.0.1'],
}
const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'
// The route hands the proxy a web Request and no socket address: the end-user IP is the
// X-Forwarded-For a reverse proxy in front sets (here: overwrites), counted from the right.
const REVERSE_PROXY = { 'x-forwarded-for': '203.0.113.7' }

/** Clerk's SDK needs a publishable key on every route the proxy does not answer. */
const withClerk = (env: Record<string, string>, fixtureProxy: 'middleware' | 'route'): Record<string, string> => ({
  ...env,
  FIXTURE_PROXY: fixtureProxy,
  CLERK_PUBLISHABLE_KEY: env.CLERK_PUBLISHABLE_KEY ?? publishableKeyFor(new URL(env.CLERK_FAPI_URL ?? 'http://127.0.0.1').host),
})

for (const fixtureProxy of ['middleware', 'route'] as const) {
  describeConformance({
    name: `tanstack start ${fixtureProxy} (srvx)`,
    start: (env) => startApp(APP, withClerk(env, fixtureProxy)),
    platformHeaders: REVERSE_PROXY,
    expectedClientIp: '203.0.113.7',
    encoding: 'decoded',
    propagatesAbort: true,
  })
}

const started = startedApp(APP, (fapi) => withClerk({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_URL: PUBLIC_PROXY_URL }, 'middleware'), SECRET)

describeClerkSdkBeside({
  name: 'tanstack start + @clerk/tanstack-react-start clerkMiddleware()',
  baseUrl: () => started.app().baseUrl,
  fapi: started.fapi,
  prefix: '/__clerk',
  proxyUrl: () => PUBLIC_PROXY_URL,
  page: { path: '/home', signedOut: 'page: signed out' },
})
