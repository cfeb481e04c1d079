/**
 * Graceful shutdown of `node bin/clerk-proxy.js` (a real process, real signals): SIGTERM lets
 * in-flight uploads and downloads finish, refuses new connections and exits 0; requests still
 * running at the bound are cut off and the process exits 0 anyway; a second signal exits at once.
 */
import { connect, type Socket } from 'node:net'
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { endpoint, parseResponse, type RawResponse } from './raw-http.ts'
import { eventually, PROCESS_TARGETS, testSecret, type ProxyUnderTest } from './targets.ts'

/** A request whose socket the test keeps: write more, then read the whole response. */
function openRequest(baseUrl: string, head: string, body = ''): { socket: Socket; response: Promise<RawResponse> } {
  const { host, port } = endpoint(baseUrl)
  const chunks: Buffer[] = []
  const socket = connect({ host, port }, () => socket.write(`${head}\r\n\r\n${body}`))
  const response = new Promise<RawResponse>((resolve) => {
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks), 0, false)))
  })
  return { socket, response }
}

function connectionRefused(baseUrl: string): Promise<boolean> {
  const { host, port } = endpoint(baseUrl)
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}

function exitOf(proxy: ProxyUnderTest): Promise<{ code: number | null; at: number }> {
  const child = proxy.child!
  if (child.exitCode !== null) return Promise.resolve({ code: child.exitCode, at: performance.now() })
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, at: performance.now() })))
}

for (const target of PROCESS_TARGETS) {
  describe(`graceful shutdown (${target.name})`, () => {
    let fapi: FapiStandIn
    let proxy: ProxyUnderTest | undefined
    const secret = testSecret()
    const start = (env: Record<string, string> = {}): Promise<ProxyUnderTest> =>
      target.start({ CLERK_SECRET_KEY: secret, CLERK_FAPI_URL: fapi.url, CLERK_PROXY_LOG: 'pretty', ...env })

    beforeAll(async () => {
      fapi = await startFapiStandIn({ tls: target.upstreamTls })
    })
    afterEach(async () => {
      await proxy?.stop()
      proxy = undefined
    })
    afterAll(async () => {
      await fapi?.close()
    })

    it('SIGTERM: in-flight upload and download finish, new connections are refused, exit 0', { timeout: 60_000 }, async () => {
      proxy = await start({ CLERK_PROXY_SHUTDOWN_TIMEOUT: '20s' })
      const before = fapi.requests.length
      const upload = openRequest(proxy.url, 'POST /__clerk/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\nConnection: close', 'a'.repeat(100_000))
      const download = openRequest(proxy.url, 'GET /__clerk/stream HTTP/1.1\r\nHost: x\r\nConnection: close')
      await fapi.waitFor((r) => fapi.requests.indexOf(r) >= before && r.url === '/upload')
      await fapi.waitFor((r) => fapi.requests.indexOf(r) >= before && r.url === '/stream')
      const exit = exitOf(proxy)
      proxy.child!.kill('SIGTERM')
      // The listener closes: new connections are refused while the two requests run on.
      let refused = false
      for (const deadline = performance.now() + 20_000; !refused && performance.now() < deadline; ) {
        refused = await connectionRefused(proxy.url)
        if (!refused) await new Promise((r) => setTimeout(r, 50))
      }
      expect(refused).toBe(true)
      expect(proxy.child!.exitCode).toBeNull()
      upload.socket.write('b'.repeat(100_000))
      fapi.release()
      const [up, down] = await Promise.all([upload.response, download.response])
      expect(up.status).toBe(200)
      expect(JSON.parse(up.body.toString())).toMatchObject({ bodyLength: 200_000 })
      expect(down.status).toBe(200)
      expect(down.body.toString()).toBe('first chunk\nlast chunk\n')
      const { code } = await exit
      expect(code).toBe(0)
      expect(proxy.output()).toMatch(/shutting down/)
    })

    it('SIGTERM with a request that never ends: cut off at the bound, exit 0', { timeout: 60_000 }, async () => {
      proxy = await start({ CLERK_PROXY_SHUTDOWN_TIMEOUT: '1500' })
      const held = openRequest(proxy.url, 'GET /__clerk/stream HTTP/1.1\r\nHost: x\r\nConnection: close')
      await fapi.waitFor((r) => r.url === '/stream' && !r.completed && !r.aborted)
      const exit = exitOf(proxy)
      const signalled = performance.now()
      proxy.child!.kill('SIGTERM')
      const { code, at } = await exit
      expect(code).toBe(0)
      expect(at - signalled).toBeGreaterThanOrEqual(1_400)
      // Without the bound it would never exit (the stream is held); the margin is for a loaded machine.
      expect(at - signalled).toBeLessThan(20_000)
      const response = await held.response
      expect(response.status).toBe(200)
      expect(response.body.toString()).toBe('first chunk\n') // cut off, never completed
      fapi.release()
    })

    it('a second signal exits at once', { timeout: 60_000 }, async () => {
      proxy = await start({ CLERK_PROXY_SHUTDOWN_TIMEOUT: '60s' })
      const held = openRequest(proxy.url, 'GET /__clerk/stream HTTP/1.1\r\nHost: x\r\nConnection: close')
      await fapi.waitFor((r) => r.url === '/stream' && !r.completed && !r.aborted)
      const exit = exitOf(proxy)
      proxy.child!.kill('SIGTERM')
      const draining = await eventually(() => proxy!.output(), (output) => /shutting down/.test(output))
      expect(draining).toMatch(/shutting down/)
      expect(proxy.child!.exitCode).toBeNull() // still draining
      const signalled = performance.now()
      proxy.child!.kill('SIGINT')
      const { code, at } = await exit
      expect(code).not.toBe(0)
      expect(at - signalled).toBeLessThan(20_000) // not the 60 s bound
      await held.response
      fapi.release()
    })
  })
}
