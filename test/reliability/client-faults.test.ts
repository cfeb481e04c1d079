/**
 * Client faults against the proxy in its own process: slow-loris heads and bodies cut off by
 * the server timeouts, aborts mid-upload and mid-download passed on to Clerk, hundreds of
 * clients vanishing mid-response without taking the server down, and every socket released
 * afterwards (the process's open file descriptors return to where they started).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { connect, type Socket } from 'node:net'

/** What a process's descriptors point at, for a failure message (TCP sockets with their ports and state). */
function fdList(pid: number): string {
  const tcp = new Map<string, string>()
  for (const file of ['tcp', 'tcp6']) {
    try {
      for (const line of readFileSync(`/proc/${pid}/net/${file}`, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/)
        if (f.length > 9) tcp.set(f[9]!, `${parseInt(f[1]!.split(':')[1]!, 16)}->${parseInt(f[2]!.split(':')[1]!, 16)}/${f[3]}`)
      }
    } catch {}
  }
  return readdirSync(`/proc/${pid}/fd`)
    .map((fd) => {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`)
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1]
        return inode && tcp.has(inode) ? `${link}(${tcp.get(inode)})` : link
      } catch {
        return '?'
      }
    })
    .join(' ')
}
/** Open socket descriptors of a process. */
function socketFds(pid: number): number {
  return fdList(pid).split(' ').filter((link) => link.startsWith('socket:')).length
}
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFapiStandIn, type FapiStandIn, type RecordedRequest } from '../support/fapi-stand-in.ts'
import { endpoint, jsonBody, rawRequest, type RawResponse } from './raw-http.ts'
import { eventually, openFds, PROCESS_TARGETS, testSecret, type ProxyUnderTest } from './targets.ts'

const HEADERS_TIMEOUT_MS = 1_000
const REQUEST_TIMEOUT_MS = 2_000

/** Opens a socket, writes `first`, then one byte of `drip` every `everyMs`, until closed. */
function slowLoris(baseUrl: string, first: string, drip: string, everyMs: number, boundMs: number): Promise<RawResponse & { closedAfterMs: number }> {
  const { host, port } = endpoint(baseUrl)
  const started = performance.now()
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const socket = connect({ host, port })
    let i = 0
    const timer = setInterval(() => socket.writable && socket.write(drip[i++ % drip.length]!), everyMs)
    const bound = setTimeout(() => socket.destroy(), boundMs)
    socket.on('connect', () => socket.write(first))
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(timer)
      clearTimeout(bound)
      const raw = Buffer.concat(chunks).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0)
      const closedAfterMs = performance.now() - started
      resolve({ status, headers: {}, body: Buffer.alloc(0), raw, interim: [], ms: closedAfterMs, timedOut: closedAfterMs >= boundMs, closedAfterMs })
    })
  })
}

/** Starts a request and destroys the socket once `afterBytes` of the response arrived. */
function abortAfter(baseUrl: string, head: string, afterBytes: number, body = ''): Promise<number> {
  const { host, port } = endpoint(baseUrl)
  return new Promise((resolve) => {
    let got = 0
    const socket: Socket = connect({ host, port }, () => {
      socket.write(`${head}\r\n\r\n${body}`)
      // Leaving mid-upload: go once what was sent is on its way (a server may answer nothing).
      if (afterBytes === 0) setTimeout(() => socket.destroy(), 300)
    })
    socket.on('data', (c: Buffer) => {
      got += c.length
      if (got >= afterBytes) socket.destroy()
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(got))
    setTimeout(() => socket.destroy(), 10_000)
  })
}

for (const target of PROCESS_TARGETS) {
  describe(`client faults (${target.name})`, () => {
    let fapi: FapiStandIn
    let proxy: ProxyUnderTest
    let baselineFds = 0
    let baselineSockets = 0
    let baselineList = ''
    const secret = testSecret()

    beforeAll(async () => {
      fapi = await startFapiStandIn()
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
      baselineFds = openFds(proxy.pid)
      baselineSockets = socketFds(proxy.pid)
      baselineList = fdList(proxy.pid)
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
        const slow = Array.from({ length: 20 }, () => slowLoris(proxy.url, 'GET /__clerk/v1/client HTTP/1.1\r\nHost: x\r\n', 'X-Slow: a\r\n', 200, HEADERS_TIMEOUT_MS * 3))
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, HEADERS_TIMEOUT_MS / 2))
          const response = await rawRequest(proxy.url, 'GET /__clerk/v1/environment HTTP/1.1\r\nHost: x\r\nConnection: close')
          expect(response.status).toBe(200)
        }
        // Still dripping, never answered: the runtime waits for the rest of the head.
        for (const result of await Promise.all(slow)) {
          expect(result.status).toBe(0)
          expect(result.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS * 3 - 50) // closed by the test, not the server
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
        await eventually(uploads, (l) => l.length > 0, 5_000)
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
      await abortAfter(proxy.url, 'POST /__clerk/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000', 0, 'x'.repeat(100_000))
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

    it('every socket is released: open file descriptors return to the baseline', async () => {
      // Idle upstream keep-alive connections close when the stand-in's 5 s keep-alive ends.
      // Bun and Deno start threads under load (an eventfd and an epoll each): there the
      // sockets are what must return to the baseline.
      const flat = target.rules?.flatNonSocketFds ?? true
      const count = (): number => (flat ? openFds(proxy.pid) : socketFds(proxy.pid))
      const baseline = (flat ? baselineFds : baselineSockets) + (target.rules?.strayUpstreamSockets ?? 0)
      const fds = await eventually(count, (n) => n <= baseline, 15_000)
      const open = fapi.requests.filter((r) => !r.completed && !r.aborted).map((r) => r.url)
      expect(fds, `open at start: ${baselineList}\nopen now: ${fdList(proxy.pid)}\nupstream requests still open: ${open.join(' ')}`).toBeLessThanOrEqual(baseline)
    }, 20_000)
  })
}
