/**
 * The conformance cases on Bun with the Frontend API over HTTPS offering HTTP/2, as Clerk's
 * edge does: every case crosses the Bun transport's HTTP/2 session (adapters/bun/upstream.ts)
 * rather than `fetch`, which serves the plain-HTTP run in bun.conformance.test.ts.
 */
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
import { describeConformance } from './conformance/suite.ts'
import { spawnServer } from './support/spawn-server.ts'
import { makeCertificate } from './support/tls-fapi-stand-in.ts'

const bun = fileURLToPath(new URL('../node_modules/.bin/bun', import.meta.url))
const entry = fileURLToPath(new URL('../adapters/bun.ts', import.meta.url))
const certificate = makeCertificate()
afterAll(() => certificate.remove())

describeConformance({
  name: 'bun, upstream over HTTP/2',
  start: (env) => spawnServer(bun, ['run', entry], { ...env, PORT: '0', HOST: '127.0.0.1', NODE_EXTRA_CA_CERTS: certificate.caFile }),
  upstreamTls: certificate,
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})
