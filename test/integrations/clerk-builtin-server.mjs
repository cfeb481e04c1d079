// One app serving the proxy with Clerk's own built-in option (`frontendApiProxy`), in a child
// process because Clerk's proxy reads CLERK_FAPI_URL from process.env on every request.
// Usage: node clerk-builtin-server.mjs express|fastify|hono  → prints {"port":N} once listening.
const framework = process.argv[2]
const options = {
  publishableKey: process.env.CLERK_PUBLISHABLE_KEY,
  secretKey: process.env.CLERK_SECRET_KEY,
  // The prefix is an option in code; the run's CLERK_PROXY_PATH is handed over so the same cases apply.
  frontendApiProxy: { enabled: true, path: process.env.CLERK_PROXY_PATH },
}
const listening = (port) => process.stdout.write(`${JSON.stringify({ port })}\n`)

if (framework === 'express') {
  const { default: express } = await import('express')
  const { clerkMiddleware } = await import('@clerk/express')
  const app = express()
  app.use(clerkMiddleware(options))
  app.use((_req, res) => void res.status(404).send('Not Found'))
  const server = app.listen(0, '127.0.0.1', () => listening(server.address().port))
} else if (framework === 'fastify') {
  const { default: Fastify } = await import('fastify')
  const { clerkPlugin } = await import('@clerk/fastify')
  const app = Fastify()
  await app.register(clerkPlugin, options)
  await app.listen({ port: 0, host: '127.0.0.1' })
  listening(app.server.address().port)
} else if (framework === 'hono') {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const { clerkMiddleware } = await import('@clerk/hono')
  const app = new Hono()
  app.use('*', clerkMiddleware(options))
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => listening(info.port))
} else {
  throw new Error(`unknown framework: ${framework}`)
}
