/**
 * Client faults against the proxy in its own process: slow-loris heads and bodies cut off by
 * the server timeouts, aborts mid-upload and mid-download passed on to Clerk, hundreds of
 * clients vanishing mid-response without taking the server down, and every socket released
 * afterwards (no TCP connection to a client or to Clerk stays open in the proxy's process).
 */
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFapiStandIn, type FapiStandIn, type RecordedRequest } from '../support/fapi-stand-in.ts'
import { endpoint, jsonBody, rawRequest, type RawResponse } from './raw-http.ts'
import { describeLeftBehind, eventually, leftBehind, onlyAllowedStrays, PROCESS_TARGETS, proxyConnections, testSecret, type ProxyUnderTest } from './targets.ts'

const HEADERS_TIMEOUT_MS = 1_000
const REQUEST_TIMEOUT_MS = 2_000

/**
 * Opens a socket, writes `first`, then one byte of `drip` every `everyMs`, until the server
 * closes it, `boundMs` passes or `leave` resolves (`timedOut`: the test closed it, not the server).
 */
function slowLoris(baseUrl: string, first: string, drip: string, everyMs: number, boundMs: number, leave?: Promise<unknown>): Promise<RawResponse & { closedAfterMs: number }> {
  const { host, port } = endpoint(baseUrl)
  const started = performance.now()
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const socket = connect({ host, port })
    let i = 0
    const timer = setInterval(() => socket.writable && socket.write(drip[i++ % drip.length]!), everyMs)
    let closedByTest = false
    const close = (): void => {
      closedByTest = true
      socket.destroy()
    }
    const bound = setTimeout(close, boundMs)
    void leave?.then(close)
    socket.on('connect', () => socket.write(first))
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(timer)
      clearTimeout(bound)
      const raw = Buffer.concat(chunks).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0)
      const closedAfterMs = performance.now() - started
      resolve({ status, headers: {}, body: Buffer.alloc(0), raw, interim: [], ms: closedAfterMs, timedOut: closedByTest, closedAfterMs })
    })
  })
}

/**
 * Starts a request and destroys the socket once `afterBytes` of the response arrived, or, with
 * `afterBytes` 0, once `leave` resolves (a server may answer nothing mid-upload).
 */
function abortAfter(baseUrl: string, head: string, afterBytes: number, body = '', leave?: Promise<unknown>): Promise<number> {
  const { host, port } = endpoint(baseUrl)
  return new Promise((resolve) => {
    let got = 0
    const socket: Socket = connect({ host, port }, () => {
      socket.write(`${head}\r\n\r\n${body}`)
      if (afterBytes === 0) void leave?.finally(() => socket.destroy())
    })
    socket.on('data', (c: Buffer) => {
      got += c.length
      if (got >= afterBytes) socket.destroy()
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(got))
    // A bound for clients the server never answers (leaving mid-response is what they test).
    setTimeout(() => socket.destroy(), 30_000)
  })
}

for (const target of PROCESS_TARGETS) {
  describe(`client faults (${target.name})`, () => {
    let fapi: FapiStandIn
    let proxy: ProxyUnderTest
    const secret = testSecret()

    beforeAll(async () => {
      fapi = await startFapiStandIn({ tls: target.upstreamTls })
      proxy = await target.start({
        CLERK_SECRET_KEY: secret,
        CLERK_FAPI_URL: fapi.url,
        CLERK_PROXY_HEADERS_TIMEOUT: String(HEADERS_TIMEOUT_MS),
        CLERK_PROXY_REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_MS),
        CLERK_PROXY_LOG: 'off',
        // The descriptors counted here are the ones clients leave behind; the warm upstream
        // connections the pool holds on purpose are tested in upstream-pool.test.ts.
        CLERK_PROXY_UPSTREAM_PRECONNECT: 'off',
      })
    })
    afterAll(async () => {
      await proxy?.stop()
      await fapi?.close()
    })

    const rules = target.rules ?? {}

    if ((rules.slowHead ?? 'timeout-408') === 'timeout-408') {
      it('slow-loris head: cut off with 408 shortly after the headers timeout', async () => {
        const result = await slowLoris(proxy.url, 'GET /__clerk/v1/client HTTP/1.1\r\nHost: x\r\n', 'X-Slow: aaaa\r\n', 100, 15_000)
        expect(result.timedOut).toBe(false)
        expect(result.status).toBe(408)
        expect(result.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100)
      })
    } else {
      it('slow-loris head (no head timeout on this runtime): it holds only its own connection; everyone else is answered', async () => {
        let leaveNow = (): void => {}
        const leave = new Promise<void>((resolve) => (leaveNow = resolve))
        const slow = Array.from({ length: 20 }, () => slowLoris(proxy.url, 'GET /__clerk/v1/client HTTP/1.1\r\nHost: x\r\n', 'X-Slow: a\r\n', 200, 120_000, leave))
        // Past the headers timeout a Node server would apply, others are still answered.
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, HEADERS_TIMEOUT_MS / 2))
          const response = await rawRequest(proxy.url, 'GET /__clerk/v1/environment HTTP/1.1\r\nHost: x\r\nConnection: close', '', { timeoutMs: 15_000 })
          expect(response.status).toBe(200)
        }
        leaveNow()
        // Still dripping, never answered: the runtime waits for the rest of the head.
        for (const result of await Promise.all(slow)) {
          expect(result.status).toBe(0)
          expect(result.timedOut).toBe(true) // closed by the test, not the server
        }
      })
    }

    if (rules.requestTimeout === false) {
      it('slow-loris body (no request timeout on this runtime): streamed on to Clerk; when the client leaves, the upstream request is aborted', async () => {
        const before = fapi.requests.length
        const { host, port } = endpoint(proxy.url)
        const socket = connect({ host, port }, () => socket.write('POST /__clerk/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n'))
        socket.on('error', () => {})
        const drip = setInterval(() => socket.writable && socket.write('a'), 100)
        const uploads = (): RecordedRequest[] => fapi.requests.slice(before).filter((r) => r.url === '/upload')
        await eventually(uploads, (l) => l.length > 0)
        // Past the request timeout a Node server would apply, the upload is still streaming.
        await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS))
        expect(uploads().map((r) => r.aborted || r.completed)).toEqual([false])
        clearInterval(drip)
        socket.destroy()
        const list = await eventually(uploads, (l) => l.length > 0 && l.every((r) => r.aborted))
        expect(list.length).toBe(1)
        expect(list[0]!.aborted).toBe(true)
      })
    } else it('slow-loris body: cut off after the request timeout, and the upstream request aborted', async () => {
      const before = fapi.requests.length
      const result = await slowLoris(proxy.url, 'POST /__clerk/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n', 'a', 100, 15_000)
      expect(result.timedOut).toBe(false)
      expect([0, 408]).toContain(result.status)
      expect(result.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100)
      const uploads = (): RecordedRequest[] => fapi.requests.slice(before).filter((r) => r.url === '/upload')
      const list = await eventually(uploads, (l) => l.length > 0 && l.every((r) => r.aborted))
      expect(list.length).toBe(1)
      expect(list[0]!.aborted).toBe(true)
    })

    it('abort mid-upload: the upstream request is aborted too', async () => {
      const before = fapi.requests.length
      const reachedClerk = fapi.waitFor((r) => fapi.requests.indexOf(r) >= before && r.url === '/upload')
      await abortAfter(proxy.url, 'POST /__clerk/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000', 0, 'x'.repeat(100_000), reachedClerk)
      const list = await eventually(
        () => fapi.requests.slice(before).filter((r) => r.url === '/upload'),
        (l) => l.length > 0 && l.every((r) => r.aborted),
      )
      expect(list[0]?.aborted).toBe(true)
      expect(list[0]!.bodyLength).toBeLessThan(1_000_000)
    })

    it('abort mid-download: the upstream response is aborted too', async () => {
      const before = fapi.requests.length
      const got = await abortAfter(proxy.url, 'GET /__clerk/download?bytes=50000000 HTTP/1.1\r\nHost: x', 200_000)
      expect(got).toBeLessThan(50_000_000)
      const list = await eventually(
        () => fapi.requests.slice(before).filter((r) => r.url.startsWith('/download')),
        (l) => l.length > 0 && l.every((r) => r.aborted),
      )
      expect(list[0]?.aborted).toBe(true)
    })

    it('300 clients disconnecting mid-response never take the server down', async () => {
      const heads = ['GET /__clerk/download?bytes=5000000 HTTP/1.1\r\nHost: x', 'GET /__clerk/stream HTTP/1.1\r\nHost: x', 'GET /__clerk/npm/clerk.js HTTP/1.1\r\nHost: x\r\nConnection: close']
      // /stream sends one chunk and holds the rest: those clients leave after its first bytes.
      await Promise.all(Array.from({ length: 300 }, (_, i) => abortAfter(proxy.url, heads[i % 3]!, i % 3 === 1 ? 1 : 1 + (i % 7) * 3_000)))
      fapi.release()
      const response = await rawRequest(proxy.url, 'GET /__clerk/v1/environment HTTP/1.1\r\nHost: x\r\nConnection: close')
      expect(response.status).toBe(200)
      expect(jsonBody(response)).toMatchObject({ object: 'environment' })
      expect(proxy.child?.exitCode).toBeNull()
      expect(proxy.output()).not.toMatch(/ERR_INVALID_STATE|Uncaught|TypeError/)
    })

    it('every socket is released: no client connection stays open, nor any upstream request or connection', async () => {
      // Idle upstream keep-alive connections close when the stand-in's 5 s keep-alive ends, an
      // answer nobody reads when it cuts it off as stalled (STALLED_WRITE_MS). Counted: TCP
      // connections on the proxy's port and to the stand-in's, and the requests the stand-in
      // got; a runtime's own files and threads (Deno's cache database, Bun's eventfds) are no leak.
      const left = await eventually(() => leftBehind(proxyConnections(proxy, fapi.port), rules, fapi), (l) => onlyAllowedStrays(l, rules), 60_000)
      expect(onlyAllowedStrays(left, rules), describeLeftBehind(left, fapi)).toBe(true)
    }, 80_000)
  })
}
