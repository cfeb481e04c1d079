import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { describeConformance, SECRET } from '../conformance/suite.ts'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { sendRaw } from '../support/http-client.ts'
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts'

const bun = fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url))
const app = fileURLToPath(new URL('../elysia-app/server.js', import.meta.url))

// An Elysia app on Bun with the plugin in front (test/elysia-app/server.js).
describeConformance({
  name: 'elysia plugin (bun)',
  start: (env) => spawnServer(bun, ['run', app], { ...env, PORT: '0', HOST: '127.0.0.1' }),
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})

describe('elysia plugin specifics', () => {
  let fapi: FapiStandIn
  let server: SpawnedServer | undefined
  beforeAll(async () => {
    fapi = await startFapiStandIn()
    server = await spawnServer(bun, ['run', app], { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url, PORT: '0', HOST: '127.0.0.1' })
  })
  afterAll(async () => {
    await server?.stop()
    await fapi?.close()
    expect(server?.output() ?? '').not.toContain(SECRET)
  })

  test("the app's own routes still route and parse bodies; the proxy answers only its prefix", async () => {
    expect((await sendRaw(server!.baseUrl, { target: '/home' })).text).toContain('home page served by elysia')
    const own = await sendRaw(server!.baseUrl, { method: 'POST', target: '/api/json', body: '{"a":1}', headers: { 'content-type': 'application/json' } })
    expect(JSON.parse(own.body.toString())).toEqual({ parsed: { a: 1 } })
    const proxied = await sendRaw(server!.baseUrl, { method: 'POST', target: '/__clerk/upload', body: '{"a":1}', headers: { 'content-type': 'application/json' } })
    expect(JSON.parse(proxied.body.toString())).toEqual({ bodyLength: 7, bodySha256: createHash('sha256').update('{"a":1}').digest('hex') })
  })
})
