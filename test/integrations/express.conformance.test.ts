import express from 'express'
import type { AddressInfo } from 'node:net'
import { clerkProxyMiddleware } from '../../adapters/express.ts'
import { describeConformance } from '../conformance/suite.ts'

// The lead's conformance suite against an Express app whose only route is the middleware.
describeConformance({
  name: 'express middleware',
  async start(env) {
    const proxy = clerkProxyMiddleware({ env })
    const app = express()
    app.use(proxy)
    app.use((_req, res) => void res.status(404).send('Not Found'))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    return {
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      async stop() {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
        await proxy.close()
      },
    }
  },
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})
