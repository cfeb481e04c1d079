/**
 * HEAD through the Node forwarder. The forwarder writes GET responses itself and marks them
 * "already sent"; Hono answers HEAD with a copy of the GET response, which loses that mark, so
 * HEAD must come back as an ordinary Response: written once, the connection kept for the next
 * request, nothing printed, on the standalone server and the Express-style middleware.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeProxyMiddleware } from '../../src/node/middleware.ts'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { rawRequest } from './raw-http.ts'
import { nodeInProcess, testSecret, type ProxyUnderTest } from './targets.ts'

describe('HEAD requests on the Node forwarder', () => {
  let fapi: FapiStandIn
  let server: ProxyUnderTest
  let middlewareUrl = ''
  let closeMiddleware = async (): Promise<void> => {}
  const secret = testSecret()

  beforeAll(async () => {
    fapi = await startFapiStandIn()
    server = await nodeInProcess.start({ CLERK_SECRET_KEY: secret, CLERK_FAPI_URL: fapi.url })
    const middleware = nodeProxyMiddleware({ env: { CLERK_SECRET_KEY: secret, CLERK_FAPI_URL: fapi.url } })
    const http = createServer((req, res) => middleware(req, res, () => res.writeHead(404).end()))
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    middlewareUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    closeMiddleware = async () => {
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
      await middleware.close()
    }
  })
  afterAll(async () => {
    await server?.stop()
    await closeMiddleware()
    await fapi?.close()
  })

  for (const which of ['serve()', 'nodeProxyMiddleware()']) {
    it(`${which}: HEAD then GET on one keep-alive connection both answer, nothing printed`, async () => {
      const url = which === 'serve()' ? server.url : middlewareUrl
      const errors: unknown[] = []
      const original = console.error
      console.error = (...args: unknown[]) => errors.push(args)
      try {
        const response = await rawRequest(
          url,
          'HEAD /__clerk/v1/environment HTTP/1.1\r\nHost: x\r\n\r\nGET /__clerk/v1/client HTTP/1.1\r\nHost: x\r\nConnection: close',
        )
        expect(response.timedOut).toBe(false)
        expect(response.raw.match(/^HTTP\/1\.1 200 /gm)?.length).toBe(2)
      } finally {
        console.error = original
      }
      expect(errors.map((e) => String((e as unknown[])[0]))).toEqual([])
    })
  }
})
