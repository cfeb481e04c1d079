import Koa from 'koa'
import { clerkProxyMiddleware } from '../../adapters/koa.ts'
import { describeConformance } from '../conformance/suite.ts'
import { listening } from './node-app.ts'

// The lead's conformance suite against a Koa app whose only middleware is the proxy.
describeConformance({
  name: 'koa middleware',
  async start(env) {
    const proxy = clerkProxyMiddleware({ env })
    const app = new Koa()
    app.use(proxy)
    return listening(app.listen(0, '127.0.0.1'), () => proxy.close())
  },
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})
