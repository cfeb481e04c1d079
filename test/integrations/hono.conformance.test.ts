import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import { clerkProxyMiddleware } from '../../adapters/hono.ts'
import { describeConformance } from '../conformance/suite.ts'

// The lead's conformance suite against a Hono app on @hono/node-server with the middleware.
describeConformance({
  name: 'hono middleware',
  async start(env) {
    const app = new Hono()
    app.use(clerkProxyMiddleware({ env, getConnInfo }))
    app.notFound((c) => c.text('Not Found', 404))
    const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server, port: info.port }))
    })
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      async stop() {
        if ('closeAllConnections' in server) server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      },
    }
  },
  expectedClientIp: '127.0.0.1',
  encoding: 'decoded',
  propagatesAbort: true,
})
