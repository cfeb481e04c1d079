import { EdgeRuntime, runServer } from 'edge-runtime'
import { describeConformance } from './conformance/suite.ts'
import { bundle } from './support/bundle.ts'

// The middleware a user copies (examples/vercel) as Vercel's Edge runtime runs it: one script,
// a fetch event per request.
const script = bundle(
  'vercel-edge.js',
  `import handler from './examples/vercel/middleware.ts'
   addEventListener('fetch', (event) => event.respondWith(handler(event.request)))`,
  'iife',
)

/** The client address Vercel's edge writes into x-real-ip (replacing any client copy). */
const CLIENT_IP = '198.51.100.7'

describeConformance({
  name: 'vercel-edge',
  async start(env) {
    const runtime = new EdgeRuntime({
      initialCode: (await script).code,
      // Vercel provides the project's variables as process.env inside Edge Functions.
      extend: (context) => Object.assign(context, { process: { env: { ...env } } }),
    })
    const server = await runServer({ runtime, port: 0, host: '127.0.0.1' })
    return { baseUrl: server.url.replace(/\/$/, ''), stop: () => server.close() }
  },
  platformHeaders: { 'x-real-ip': CLIENT_IP },
  expectedClientIp: CLIENT_IP,
  encoding: 'decoded',
  // edge-runtime's local server does not abort request.signal when the client goes away.
  propagatesAbort: false,
})
