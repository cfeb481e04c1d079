/**
 * The event handler in a real Nuxt app (test/nuxt-app), built with `nuxt build` and served by
 * Nitro's Node server, with @clerk/nuxt's module and clerkMiddleware() active after it.
 */
import { describeConformance } from '../conformance/suite.ts'
import { SECRET } from './cases.ts'
import { describeClerkSdkBeside, publishableKeyFor } from './clerk-sdk-cases.ts'
import { startApp, startedApp, type FrameworkApp } from './framework-server.ts'

const APP: FrameworkApp = {
  dir: 'test/nuxt-app',
  build: ['node_modules/.bin/nuxt', 'build'],
  serve: ['test/nuxt-app/.output/server/index.mjs'],
}
const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'

/** @clerk/nuxt reads its keys and proxy URL from Nuxt's runtime config (NUXT_* variables). */
const withClerk = (env: Record<string, string>): Record<string, string> => ({
  ...env,
  NUXT_CLERK_SECRET_KEY: SECRET,
  NUXT_PUBLIC_CLERK_PUBLISHABLE_KEY: env.CLERK_PUBLISHABLE_KEY ?? publishableKeyFor(new URL(env.CLERK_FAPI_URL ?? 'http://127.0.0.1').host),
  ...(env.CLERK_PROXY_URL ? { NUXT_PUBLIC_CLERK_PROXY_URL: env.CLERK_PROXY_URL } : {}),
})

describeConformance({
  name: 'nuxt server middleware (nitro node-server)',
  start: (env) => startApp(APP, withClerk(env)),
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})

const started = startedApp(APP, (fapi) => withClerk({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_URL: PUBLIC_PROXY_URL }), SECRET)

describeClerkSdkBeside({
  name: 'nuxt + @clerk/nuxt clerkMiddleware()',
  baseUrl: () => started.app().baseUrl,
  fapi: started.fapi,
  prefix: '/__clerk',
  proxyUrl: () => PUBLIC_PROXY_URL,
  page: { path: '/home', signedOut: 'page: signed out' },
})
