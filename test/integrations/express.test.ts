import { clerkMiddleware, getAuth } from '@clerk/express'
import express from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { clerkProxyMiddleware } from '../../adapters/express.ts'
import type { NodeMiddleware } from '../../src/node/middleware.ts'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { describeIntegrationCases, SECRET, send } from './cases.ts'
import { describeClerkSdkBeside, publishableKeyFor } from './clerk-sdk-cases.ts'

const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'

let fapi: FapiStandIn
let server: Server
let baseUrl = ''
let proxy: NodeMiddleware
// The same app with @clerk/express's clerkMiddleware() on every route after the proxy.
let withClerk: Server
let withClerkUrl = ''
let withClerkProxy: NodeMiddleware

beforeAll(async () => {
  fapi = await startFapiStandIn()
  proxy = clerkProxyMiddleware({ env: { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_URL: PUBLIC_PROXY_URL } })
  const app = express()
  app.use(proxy)
  app.use(express.json())
  app.get('/', (_req, res) => void res.send('home page served by express'))
  // Mounted under a path: the middleware still matches the full target.
  const mounted = express.Router()
  mounted.get('/ping', (_req, res) => void res.send('pong'))
  app.use('/api', mounted)
  server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  withClerkProxy = clerkProxyMiddleware({ env: { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_URL: PUBLIC_PROXY_URL } })
  const guarded = express()
  guarded.use(withClerkProxy)
  guarded.use(express.json())
  guarded.use(clerkMiddleware({ publishableKey: publishableKeyFor(new URL(fapi.url).host), secretKey: SECRET, proxyUrl: PUBLIC_PROXY_URL }))
  guarded.get('/', (req, res) => void res.send(`page: ${getAuth(req).userId === null ? 'signed out' : 'signed in'}`))
  withClerk = guarded.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => withClerk.once('listening', () => resolve()))
  withClerkUrl = `http://127.0.0.1:${(withClerk.address() as AddressInfo).port}`
})

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  withClerk?.closeAllConnections()
  await new Promise((resolve) => withClerk?.close(resolve))
  await Promise.all([proxy?.close(), withClerkProxy?.close()])
  await fapi?.close()
})

describeIntegrationCases({
  name: 'express middleware',
  baseUrl: () => baseUrl,
  fapi: () => fapi,
  prefix: '/__clerk',
  expectedProxyUrl: () => PUBLIC_PROXY_URL,
  clientIp: '127.0.0.1',
  spoofedForwardedFor: { send: '6.6.6.6', expect: '127.0.0.1' },
  encoding: 'passthrough',
  appRoute: { path: '/', contains: 'home page served by express' },
})

describeClerkSdkBeside({
  name: 'express + @clerk/express clerkMiddleware()',
  baseUrl: () => withClerkUrl,
  fapi: () => fapi,
  prefix: '/__clerk',
  proxyUrl: () => PUBLIC_PROXY_URL,
  page: { path: '/', signedOut: 'page: signed out' },
})

describe('express middleware specifics', () => {
  test('routes mounted elsewhere keep working', async () => {
    const res = await send(`${baseUrl}/api/ping`)
    expect(res.body.toString()).toBe('pong')
  })

  test('a body parser mounted before the proxy is reported, not forwarded as an empty body', async () => {
    const app = express()
    app.use(express.raw({ type: '*/*' }))
    const early = clerkProxyMiddleware({ env: { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url } })
    app.use(early)
    const misordered = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => misordered.once('listening', () => resolve()))
    try {
      const url = `http://127.0.0.1:${(misordered.address() as AddressInfo).port}/__clerk/upload`
      const res = await send(url, { method: 'POST', body: 'abc', headers: { 'content-type': 'text/plain' } })
      expect(res.status).toBe(500)
      expect(res.body.toString()).toContain('before body parsers')
      expect(res.body.toString()).not.toContain(SECRET)
    } finally {
      misordered.closeAllConnections()
      await new Promise((resolve) => misordered.close(resolve))
      await early.close()
    }
  })

  test('mounted at / it takes only the prefix; every other path stays the app\'s', async () => {
    const rooted = clerkProxyMiddleware({ env: { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url } })
    const app = express()
    app.use('/', rooted)
    app.use((req, res) => void res.send(`app: ${req.originalUrl}`))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const before = fapi.requests.length
      for (const path of ['/', '/sign-in', '/v1/client', '/api/users', '/__clerk-admin/v1/client']) {
        expect((await send(`${base}${path}`)).body.toString(), path).toBe(`app: ${path}`)
      }
      expect(fapi.requests.length).toBe(before)
      expect((await send(`${base}/__clerk/v1/environment`)).status).toBe(200)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await rooted.close()
    }
  })

  test('a prefix of / is refused at startup, naming where it came from (it would catch every path)', () => {
    const env = { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url }
    expect(() => clerkProxyMiddleware({ env, proxyPath: '/' })).toThrow(/option proxyPath must be a prefix such as \/__clerk when the proxy runs inside an app/)
    expect(() => clerkProxyMiddleware({ env: { ...env, CLERK_PROXY_PATH: '/' } })).toThrow(/CLERK_PROXY_PATH must be a prefix/)
    expect(() => clerkProxyMiddleware({ env: { ...env, CLERK_PROXY_URL: 'https://app.example.com/' } })).toThrow(/the path of CLERK_PROXY_URL must be a prefix/)
  })

  test('a missing secret key fails at startup, naming the variable', () => {
    expect(() => clerkProxyMiddleware({ env: {} })).toThrow(/CLERK_SECRET_KEY/)
  })
})
