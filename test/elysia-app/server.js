// An Elysia app on Bun with the proxy plugin first, a JSON route and a 404 for the rest;
// prints the URL it listens on (PORT=0 picks a free port).
import { Elysia } from 'elysia'
import { clerkProxyPlugin } from '../../adapters/elysia.ts'

const app = new Elysia()
  .use(clerkProxyPlugin())
  .post('/api/json', ({ body }) => ({ parsed: body }))
  .get('/home', () => 'home page served by elysia')
  .listen({ port: Number(process.env.PORT ?? 0), hostname: process.env.HOST ?? '127.0.0.1' })

console.log(`listening on http://${app.server.hostname}:${app.server.port}`)
