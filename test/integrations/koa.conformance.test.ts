import Koa from 'koa'
import type { AddressInfo } from 'node:net'
import { clerkProxyMiddleware } from '../../adapters/koa.ts'
import { describeConformance } from '../conformance/suite.ts'

// The lead's conformance suite against a Koa app whose only middleware is the proxy.
describeConformance({
  name: 'koa middleware',
  async start(env) {
    const proxy = clerkProxyMiddleware({ env })
    const app = new Koa()
    app.use(proxy)
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
