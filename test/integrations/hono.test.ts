import { serve, type ServerType } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { clerkProxyMiddleware } from '../../adapters/hono.ts'
import { clerkProxy } from '../../src/app.ts'
import { ENVIRONMENT_JSON, startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { describeIntegrationCases, SECRET, send } from './cases.ts'

const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'

let fapi: FapiStandIn
const servers: ServerType[] = []
let baseUrl = ''
let routedUrl = ''

function listen(app: Hono): Promise<string> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`))
    servers.push(server)
  })
}

beforeAll(async () => {
  fapi = await startFapiStandIn()
  const env = { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_URL: PUBLIC_PROXY_URL }

  const app = new Hono()
  app.use(clerkProxyMiddleware({ getConnInfo, env }))
  // Stands in for clerkMiddleware(): refuses everything but the home page, so the proxy must run first.
  app.use(async (c, next) => (c.req.path === '/' ? next() : c.json({ error: 'signed out' }, 401)))
  app.get('/', (c) => c.text('home page served by hono'))
  baseUrl = await listen(app)

  // The other way to mount it: the core app as a sub-app, before the app's own routes.
  const routed = new Hono()
  routed.route('/', clerkProxy({ env, peerAddress: (c) => getConnInfo(c).remote.address }))
  routed.get('/', (c) => c.text('home page of the routed app'))
  routed.get('/__clerkx', (c) => c.text('next to the prefix'))
  routedUrl = await listen(routed)
})

afterAll(async () => {
  for (const server of servers) {
    if ('closeAllConnections' in server) server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  await fapi?.close()
})

describeIntegrationCases({
  name: 'hono middleware (node-server, getConnInfo)',
  baseUrl: () => baseUrl,
  fapi: () => fapi,
  prefix: '/__clerk',
  expectedProxyUrl: () => PUBLIC_PROXY_URL,
  clientIp: '127.0.0.1',
  spoofedForwardedFor: { send: '6.6.6.6', expect: '127.0.0.1' },
  encoding: 'decoded',
  appRoute: { path: '/', contains: 'home page served by hono' },
})

describe('hono mount specifics', () => {
  test('the auth middleware registered after the proxy still guards the app', async () => {
    const res = await send(`${baseUrl}/dashboard`)
    expect(res.status).toBe(401)
  })

  test('app.route() with the core app proxies the prefix and falls through elsewhere', async () => {
    const proxied = await send(`${routedUrl}/__clerk/v1/environment`)
    expect(proxied.status).toBe(200)
    expect(proxied.body.toString()).toBe(ENVIRONMENT_JSON)
    expect((await send(`${routedUrl}/`)).body.toString()).toBe('home page of the routed app')
    expect((await send(`${routedUrl}/__clerkx`)).body.toString()).toBe('next to the prefix')
  })
})
