/**
 * A request body already read by something in front of the proxy (a body parser, a middleware
 * that read the request) is detected and answered in Clerk's error shape, never forwarded as an
 * empty body (a fix Clerk shipped after user reports). Real servers, real HTTP, the FAPI stand-in.
 */
import { serve as serveHono } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import express from 'express'
import { Hono, type MiddlewareHandler } from 'hono'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { clerkProxyMiddleware as expressProxy } from '../../adapters/express.ts'
import { clerkProxyMiddleware as honoProxy } from '../../adapters/hono.ts'
import { nodeForwarder, readNodeHeader } from '../../adapters/node.ts'
import { clerkProxy } from '../../src/app.ts'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { SECRET, send, type RawResponse } from './cases.ts'

let fapi: FapiStandIn
let env: Record<string, string>
beforeAll(async () => {
  fapi = await startFapiStandIn()
  env = { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url }
})
afterAll(async () => {
  await fapi?.close()
})

/** Serves a listener on 127.0.0.1:0 for the duration of `use`. */
async function withServer(listener: RequestListener | Server, use: (baseUrl: string) => Promise<void>): Promise<void> {
  const server = typeof listener === 'function' ? createServer(listener) : listener
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}

/** The rule: Clerk's error shape, the cause named, no-store, nothing sent to Clerk. */
function expectBodyAlreadyRead(res: RawResponse, fapiRequestsBefore: number): void {
  expect(res.status).toBe(500)
  expect(res.headers['cache-control']).toBe('no-store')
  const error = (JSON.parse(res.body.toString()) as { errors: { code: string; long_message: string }[] }).errors[0]!
  expect(error.code).toBe('proxy_configuration_error')
  expect(error.long_message).toContain('The request body was read before the Clerk proxy saw it')
  expect(res.body.toString()).not.toContain(SECRET)
  expect(fapi.requests.length).toBe(fapiRequestsBefore)
}

const FORM = 'identifier=user%40example.com&strategy=password'
const postForm = (url: string): Promise<RawResponse> => send(url, { method: 'POST', body: FORM, headers: { 'content-type': 'application/x-www-form-urlencoded' } })

describe('a body read before the proxy is reported, not forwarded empty', () => {
  test('Express: express.json() and express.urlencoded() mounted before the proxy', async () => {
    const parsers = [
      { parser: express.json(), body: '{"identifier":"user@example.com"}', type: 'application/json' },
      { parser: express.urlencoded({ extended: false }), body: FORM, type: 'application/x-www-form-urlencoded' },
    ]
    for (const { parser, body, type } of parsers) {
      const proxy = expressProxy({ env })
      const app = express()
      app.use(parser)
      app.use(proxy)
      try {
        await withServer(app.listen(0, '127.0.0.1'), async (base) => {
          const before = fapi.requests.length
          const res = await send(`${base}/__clerk/v1/client/sign_ins`, { method: 'POST', body, headers: { 'content-type': type } })
          expectBodyAlreadyRead(res, before)
        })
      } finally {
        await proxy.close()
      }
    }
  })

  test('Express: a parser that skips the request (another content type) leaves the body to the proxy', async () => {
    const proxy = expressProxy({ env })
    const app = express()
    app.use(express.json())
    app.use(proxy)
    try {
      await withServer(app.listen(0, '127.0.0.1'), async (base) => {
        const res = await postForm(`${base}/__clerk/echo/parser-skipped`)
        expect(res.status).toBe(200)
        expect((await fapi.waitFor((r) => r.url === '/echo/parser-skipped')).bodyText).toBe(FORM)
      })
    } finally {
      await proxy.close()
    }
  })

  test('plain node:http: an IncomingMessage read to its end before the middleware runs', async () => {
    const proxy = expressProxy({ env })
    try {
      await withServer(
        (req, res) => {
          req.resume()
          req.on('end', () => proxy(req, res, () => res.writeHead(404).end()))
        },
        async (base) => {
          const before = fapi.requests.length
          expectBodyAlreadyRead(await postForm(`${base}/__clerk/v1/client/sign_ins`), before)
        },
      )
    } finally {
      await proxy.close()
    }
  })

  const readsBody: MiddlewareHandler = async (c, next) => {
    await c.req.text()
    await next()
  }
  const forwarders = [
    { name: 'fetch forwarder (Request.bodyUsed)', options: {} },
    { name: 'Node forwarder (IncomingMessage ended)', options: { forward: nodeForwarder(), readHeader: readNodeHeader } },
  ]
  for (const { name, options } of forwarders) {
    test(`Hono: a middleware that read the body before the proxy, ${name}`, async () => {
      const app = new Hono()
      app.use(readsBody)
      app.use(honoProxy({ env, getConnInfo, ...options }))
      const server = await new Promise<Server>((resolve) => {
        const s = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server))
      })
      try {
        await withServer(server, async (base) => {
          const before = fapi.requests.length
          expectBodyAlreadyRead(await postForm(`${base}/__clerk/v1/client/sign_ins`), before)
          // A GET has no body to lose: it is forwarded as usual.
          expect((await send(`${base}/__clerk/v1/environment`)).status).toBe(200)
        })
      } finally {
        await options.forward?.close()
      }
    })
  }

  test('clerkProxy().fetch given a Request whose body was already used', async () => {
    const request = new Request('http://127.0.0.1/__clerk/v1/client/sign_ins', { method: 'POST', body: FORM, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    await request.text()
    const before = fapi.requests.length
    const response = await clerkProxy({ env }).fetch(request)
    expect(response.status).toBe(500)
    expect(((await response.json()) as { errors: { long_message: string }[] }).errors[0]!.long_message).toContain('was read before the Clerk proxy saw it')
    expect(fapi.requests.length).toBe(before)
  })
})
