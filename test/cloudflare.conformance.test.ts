import { Miniflare } from 'miniflare'
import { vi } from 'vitest'
import { describeConformance } from './conformance/suite.ts'
import { bundle } from './support/bundle.ts'

// The worker a user copies (examples/cloudflare), as wrangler would upload it: one ES module.
const worker = bundle('cloudflare-worker.mjs', `export { default } from './examples/cloudflare/src/index.ts'`, 'esm')

/** The address Cloudflare reports for the test's client. */
const CLIENT_IP = '203.0.113.50'

// Each request crosses an emulator (slow on a shared machine): more room than the default.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 120_000 })

describeConformance({
  name: 'cloudflare-workers',
  async start(env) {
    const mf = new Miniflare({
      modules: true,
      scriptPath: (await worker).path,
      compatibilityDate: '2026-04-01',
      bindings: env,
      host: '127.0.0.1',
      port: 0,
    })
    const url = await mf.ready
    return { baseUrl: url.origin, stop: () => mf.dispose() }
  },
  // Cloudflare writes the connecting address into CF-Connecting-IP, replacing a client copy;
  // locally workerd lets a client copy through, so the test sets it as Cloudflare would.
  platformHeaders: { 'CF-Connecting-IP': CLIENT_IP },
  expectedClientIp: CLIENT_IP,
  encoding: 'negotiated',
  // Locally workerd (under miniflare) does not cancel a worker's subrequests when the client goes away.
  propagatesAbort: false,
})
