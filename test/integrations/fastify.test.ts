/**
 * The Fastify plugin in real Fastify apps: the integration cases, then the same app with
 * `@clerk/fastify`'s `clerkPlugin` active on every other route (in its default `preHandler`
 * hook, and in `onRequest` registered after the proxy), over real HTTP.
 */
import { clerkPlugin, getAuth } from '@clerk/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { clerkProxyPlugin } from '../../adapters/fastify.ts'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { describeIntegrationCases, SECRET, send } from './cases.ts'
import { describeClerkSdkBeside, publishableKeyFor } from './clerk-sdk-cases.ts'

const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'

let fapi: FapiStandIn
const apps: FastifyInstance[] = []
const urls = { plain: '', clerkPreHandler: '', clerkOnRequest: '' }
/** Every URL a hook after the proxy (body parsing, Clerk's preHandler, routes) ran for. */
const seenByFastify: string[] = []

async function startApp(clerk: 'none' | 'preHandler' | 'onRequest'): Promise<string> {
  const app = Fastify()
  apps.push(app)
  const env = { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_URL: PUBLIC_PROXY_URL }
  await app.register(clerkProxyPlugin, { env })
  if (clerk !== 'none') {
    await app.register(clerkPlugin, {
      hookName: clerk,
      publishableKey: publishableKeyFor(new URL(fapi.url).host),
      secretKey: SECRET,
      proxyUrl: PUBLIC_PROXY_URL,
    })
  }
  app.addHook('preParsing', async (request) => void seenByFastify.push(request.url))
  app.get('/', async (request) => (clerk === 'none' ? 'home page served by fastify' : `page: ${getAuth(request).userId === null ? 'signed out' : 'signed in'}`))
  app.post('/api/json', async (request) => ({ parsed: request.body }))
  return app.listen({ port: 0, host: '127.0.0.1' })
}

beforeAll(async () => {
  fapi = await startFapiStandIn()
  urls.plain = await startApp('none')
  urls.clerkPreHandler = await startApp('preHandler')
  urls.clerkOnRequest = await startApp('onRequest')
})

afterAll(async () => {
  for (const app of apps) {
    app.server.closeAllConnections()
    await app.close()
  }
  await fapi?.close()
})

describeIntegrationCases({
  name: 'fastify plugin',
  baseUrl: () => urls.plain,
  fapi: () => fapi,
  prefix: '/__clerk',
  expectedProxyUrl: () => PUBLIC_PROXY_URL,
  clientIp: '127.0.0.1',
  spoofedForwardedFor: { send: '6.6.6.6', expect: '127.0.0.1' },
  encoding: 'passthrough',
  appRoute: { path: '/', contains: 'home page served by fastify' },
})

const besideClerk = { fapi: () => fapi, prefix: '/__clerk', proxyUrl: () => PUBLIC_PROXY_URL, page: { path: '/', signedOut: 'page: signed out' } }
describeClerkSdkBeside({ ...besideClerk, name: 'fastify + clerkPlugin (preHandler)', baseUrl: () => urls.clerkPreHandler })
describeClerkSdkBeside({ ...besideClerk, name: 'fastify + clerkPlugin (onRequest, after the proxy)', baseUrl: () => urls.clerkOnRequest })

describe('fastify plugin specifics', () => {
  test("no Fastify hook, parser or route runs for a proxied request; the app's own routes still parse bodies", async () => {
    const before = seenByFastify.length
    await send(`${urls.clerkPreHandler}/__clerk/upload`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } })
    await send(`${urls.plain}/__clerk/v1/client`)
    expect(seenByFastify.slice(before).filter((url) => url.startsWith('/__clerk'))).toEqual([])
    const own = await send(`${urls.plain}/api/json`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } })
    expect(JSON.parse(own.body.toString())).toEqual({ parsed: { a: 1 } })
    expect(seenByFastify).toContain('/api/json')
  })

  test('a bad secret rejects app.register(), naming the variable and never echoing it', async () => {
    const app = Fastify()
    try {
      const error = await app.register(clerkProxyPlugin, { env: { CLERK_SECRET_KEY: 'not-a-secret-4321' } }).then(() => undefined, (e: unknown) => e)
      expect(String(error)).toContain('CLERK_SECRET_KEY')
      expect(String(error)).not.toContain('not-a-secret-4321')
    } finally {
      await app.close().catch(() => {})
    }
  })
})
