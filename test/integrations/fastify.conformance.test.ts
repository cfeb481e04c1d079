import Fastify from 'fastify'
import { clerkProxyPlugin } from '../../adapters/fastify.ts'
import { describeConformance } from '../conformance/suite.ts'

// The lead's conformance suite against a Fastify app whose only content is the plugin.
describeConformance({
  name: 'fastify plugin',
  async start(env) {
    const app = Fastify()
    await app.register(clerkProxyPlugin, { env })
    const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
    return {
      baseUrl,
      async stop() {
        app.server.closeAllConnections()
        await app.close()
      },
    }
  },
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})
