// Clerk's own helper, `clerkFrontendApiProxy` from `@clerk/backend/proxy`, in the smallest Hono
// server around it: on Bun with `Bun.serve`, on Node with `@hono/node-server`.
// Reads PORT, HOST, CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY and CLERK_FAPI_URL.
import { clerkFrontendApiProxy } from '@clerk/backend/proxy'
import { Hono } from 'hono'

const env = process.env
const port = Number(env.PORT ?? 3000)
const hostname = env.HOST ?? '127.0.0.1'
const options = {
  proxyPath: '/__clerk',
  secretKey: env.CLERK_SECRET_KEY,
  publishableKey: env.CLERK_PUBLISHABLE_KEY,
  fapiUrl: env.CLERK_FAPI_URL,
}

const app = new Hono()
app.all('/__clerk/*', (c) => clerkFrontendApiProxy(c.req.raw, options))

if (typeof globalThis.Bun !== 'undefined') {
  globalThis.Bun.serve({ port, hostname, fetch: app.fetch, maxRequestBodySize: 1024 ** 4 })
} else {
  const { serve } = await import('@hono/node-server')
  serve({ fetch: app.fetch, port, hostname })
}
process.stdout.write(`clerk helper listening on http://${hostname}:${port}\n`)
