import express from 'express'
import { clerkProxyMiddleware } from '../../adapters/express.ts'
import { describeConformance } from '../conformance/suite.ts'
import { listening } from './node-app.ts'

// The lead's conformance suite against an Express app whose only route is the middleware.
describeConformance({
  name: 'express middleware',
  async start(env) {
    const proxy = clerkProxyMiddleware({ env })
    const app = express()
    app.use(proxy)
    app.use((_req, res) => void res.status(404).send('Not Found'))
    return listening(app.listen(0, '127.0.0.1'), () => proxy.close())
  },
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})
