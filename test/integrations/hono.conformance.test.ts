import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import { clerkProxyMiddleware, type HonoProxyOptions } from '../../adapters/hono.ts'
import { nodeForwarder, readNodeHeader } from '../../adapters/node.ts'
import { describeConformance } from '../conformance/suite.ts'

/** A Hono app on @hono/node-server whose only route is the proxy middleware. */
async function startHono(options: HonoProxyOptions, close?: () => Promise<void>): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  const app = new Hono()
  app.use(clerkProxyMiddleware(options))
  app.notFound((c) => c.text('Not Found', 404))
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server, port: info.port }))
  })
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      if ('closeAllConnections' in server) server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await close?.()
    },
  }
}

// The lead's conformance suite against the Hono middleware with the default fetch forwarder.
describeConformance({
  name: 'hono middleware',
  start: (env) => startHono({ env, getConnInfo }),
  expectedClientIp: '127.0.0.1',
  encoding: 'decoded',
  propagatesAbort: true,
})

// On Node, the undici forwarder from the Node adapter keeps compressed assets compressed.
describeConformance({
  name: 'hono middleware with the Node forwarder',
  start: (env) => {
    const forward = nodeForwarder()
    return startHono({ env, getConnInfo, forward, readHeader: readNodeHeader }, () => forward.close())
  },
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})
