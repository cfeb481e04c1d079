import { serve } from '../adapters/node.ts'
import { describeConformance } from './conformance/suite.ts'

describeConformance({
  name: 'node',
  async start(env) {
    const running = await serve({ env, port: 0, host: '127.0.0.1', log: 'off', handleSignals: false })
    return { baseUrl: running.url, stop: () => running.shutdown(1000) }
  },
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})
