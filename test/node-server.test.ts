import { createHash, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createLogger, serve, type AccessLogEntry, type RunningServer, type ServeOptions } from '../adapters/node.ts'
import { clerkProxy } from '../src/mod.ts'
import { startFapiStandIn, assetPayload, type FapiStandIn } from './support/fapi-stand-in.ts'
import { headerValues, sendRaw } from './support/http-client.ts'

const SECRET = 'sk_live_nodeServerTestSecret0987654321'
let fapi: FapiStandIn
const servers: RunningServer[] = []

beforeAll(async () => {
  fapi = await startFapiStandIn()
})
afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.shutdown(500)))
  await fapi.close()
})

async function start(options: ServeOptions = {}): Promise<RunningServer> {
  const running = await serve({ env: {}, secretKey: SECRET, fapiUrl: fapi.url, port: 0, host: '127.0.0.1', log: 'off', handleSignals: false, ...options })
  servers.push(running)
  return running
}
const tag = (): string => randomBytes(6).toString('hex')
const byTag = (t: string) => (r: { url: string }) => r.url.includes(t)

describe('TRUST_PROXY on the Node server', () => {
  test('without it, spoofed X-Forwarded-For, X-Real-IP, CF-Connecting-IP and X-Forwarded-Host change nothing', async () => {
    const proxy = await start()
    const t = tag()
    await sendRaw(proxy.url, {
      target: `/__clerk/echo/${t}`,
      headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Real-IP': '6.6.6.6', 'CF-Connecting-IP': '6.6.6.6', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' },
    })
    const seen = await fapi.waitFor(byTag(t))
    expect(headerValues(seen.rawHeaders, 'x-forwarded-for')).toEqual(['127.0.0.1'])
    expect(headerValues(seen.rawHeaders, 'clerk-proxy-url')).toEqual([`${proxy.url}/__clerk`])
  })

  test('with one trusted hop, the client is the entry the load balancer appended and its X-Forwarded-Host is honoured', async () => {
    const proxy = await start({ trustProxy: '1' })
    const t = tag()
    await sendRaw(proxy.url, {
      target: `/__clerk/echo/${t}`,
      headers: { 'X-Forwarded-For': '6.6.6.6, 203.0.113.7', 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Proto': 'https' },
    })
    const seen = await fapi.waitFor(byTag(t))
    expect(headerValues(seen.rawHeaders, 'x-forwarded-for')).toEqual(['203.0.113.7'])
    expect(headerValues(seen.rawHeaders, 'clerk-proxy-url')).toEqual(['https://app.example.com/__clerk'])
  })

  test('with trusted addresses, a peer outside them is the client and its forwarded headers are ignored', async () => {
    const proxy = await start({ trustProxy: '10.0.0.0/8' })
    const t = tag()
    await sendRaw(proxy.url, { target: `/__clerk/echo/${t}`, headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Host': 'evil.example' } })
    const seen = await fapi.waitFor(byTag(t))
    expect(headerValues(seen.rawHeaders, 'x-forwarded-for')).toEqual(['127.0.0.1'])
    expect(headerValues(seen.rawHeaders, 'clerk-proxy-url')).toEqual([`${proxy.url}/__clerk`])
  })

  test('with loopback trusted, walks left past loopback to the first untrusted address', async () => {
    const proxy = await start({ trustProxy: 'loopback' })
    const t = tag()
    await sendRaw(proxy.url, { target: `/__clerk/echo/${t}`, headers: { 'X-Forwarded-For': '6.6.6.6, 198.51.100.4, 127.0.0.1' } })
    const seen = await fapi.waitFor(byTag(t))
    expect(headerValues(seen.rawHeaders, 'x-forwarded-for')).toEqual(['198.51.100.4'])
  })
})

describe('streaming on the Node server', () => {
  let proxy: RunningServer
  beforeAll(async () => {
    // No body limit here: these tests stream far more than the 10 MiB default allows.
    proxy = await start({ maxBodySize: 0 })
  })

  test('a 64 MiB upload arrives byte-exact', async () => {
    const chunk = randomBytes(1024 * 1024)
    const hash = createHash('sha256')
    const total = 64
    const base = new URL(proxy.url)
    const answer = await new Promise<string>((resolve, reject) => {
      const r = request(
        { host: base.hostname, port: base.port, method: 'POST', path: '/__clerk/upload', headers: { 'content-type': 'application/octet-stream' } },
        (res) => {
          let text = ''
          res.on('data', (c: Buffer) => (text += c.toString()))
          res.on('end', () => resolve(text))
        },
      )
      r.on('error', reject)
      let sent = 0
      const pump = (): void => {
        while (sent < total) {
          sent++
          const piece = Buffer.from(chunk)
          piece.writeUInt32BE(sent, 0)
          hash.update(piece)
          if (!r.write(piece)) return void r.once('drain', pump)
        }
        r.end()
      }
      pump()
    })
    expect(JSON.parse(answer)).toEqual({ bodyLength: total * 1024 * 1024, bodySha256: hash.digest('hex') })
  })

  test('a client that hangs up mid-download aborts the upstream response and the server keeps serving', async () => {
    const t = tag()
    const base = new URL(proxy.url)
    await new Promise<void>((resolve, reject) => {
      const r = request({ host: base.hostname, port: base.port, path: `/__clerk/download?bytes=${512 * 1024 * 1024}&t=${t}`, agent: false }, (res) => {
        let received = 0
        res.on('data', (c: Buffer) => {
          received += c.length
          if (received > 1024 * 1024) {
            r.destroy()
            resolve()
          }
        })
      })
      r.on('error', () => {})
      r.on('close', () => resolve())
      r.end()
      setTimeout(() => reject(new Error('download never started')), 10_000)
    })
    const seen = await fapi.waitFor(byTag(t))
    await expect.poll(() => seen.aborted).toBe(true)
    expect((await sendRaw(proxy.url, { target: '/healthz' })).status).toBe(200)
  })

  test('GET /healthz answers outside the prefix without reaching Clerk', async () => {
    // Counted without the server's own start-up probe (HEAD /v1/environment), which may arrive meanwhile.
    const reached = (): number => fapi.requests.filter((r) => !(r.method === 'HEAD' && r.url === '/v1/environment')).length
    const before = reached()
    const res = await sendRaw(proxy.url, { target: '/healthz' })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body.toString())).toEqual({ status: 'ok' })
    expect(reached()).toBe(before)
  })
})

describe('access log', () => {
  test('one line per request with method, path without the query, status, timings and bytes', async () => {
    const entries: AccessLogEntry[] = []
    const lines: string[] = []
    const json = createLogger('json', (line) => lines.push(line))
    const proxy = await start({
      log: { access: (e) => (entries.push(e), json.access(e)), info: json.info, error: json.error },
    })
    await sendRaw(proxy.url, { target: '/__clerk/v1/environment?__clerk_db_jwt=dvb_secretjwt&_clerk_js_version=5' })
    await sendRaw(proxy.url, { target: '/__clerk/cookies', headers: { Cookie: '__session=cookievalue', Authorization: 'Bearer authvalue' } })
    await expect.poll(() => entries.length).toBe(2)
    expect(entries[0]).toMatchObject({ method: 'GET', path: '/__clerk/v1/environment', status: 200, aborted: false })
    expect(entries[0]!.upstreamMs).toBeGreaterThanOrEqual(0)
    expect(entries[0]!.bytes).toBeGreaterThan(100)
    const all = lines.join('\n')
    for (const secret of ['dvb_secretjwt', 'cookievalue', 'authvalue', SECRET, '__client=abc']) expect(all).not.toContain(secret)
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'info', msg: 'request', method: 'GET', path: '/__clerk/cookies', status: 200 })
  })
})

describe('graceful shutdown', () => {
  test('lets in-flight requests finish, refuses new connections, then resolves', async () => {
    const proxy = await start()
    const inFlight = sendRaw(proxy.url, { target: '/__clerk/hold' })
    await fapi.waitFor((r) => r.url === '/hold' && !r.completed)
    const stopped = proxy.shutdown(5000)
    let done = false
    void stopped.then(() => (done = true))
    await new Promise((r) => setTimeout(r, 100))
    expect(done).toBe(false)
    await expect(sendRaw(proxy.url, { target: '/healthz', timeoutMs: 1000 })).rejects.toThrow()
    fapi.release()
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body.toString())).toEqual({ released: true })
    await stopped
  })
})

describe('clerkProxy().fetch on its own (the Web-standard path)', () => {
  test('drops Content-Encoding when fetch decoded the body, so the bytes are true to the headers', async () => {
    const app = clerkProxy({ secretKey: SECRET, fapiUrl: fapi.url, proxyUrl: 'https://app.example.com/__clerk' })
    const res = await app.fetch(new Request('http://internal/__clerk/asset.js', { headers: { 'accept-encoding': 'gzip' } }))
    expect(res.headers.get('content-encoding')).toBeNull()
    expect(res.headers.get('content-length')).toBeNull()
    expect(Buffer.from(await res.arrayBuffer()).equals(assetPayload(1_400_000))).toBe(true)
  })

  test('answers 500 proxy_configuration_error naming the variable when the secret is missing', async () => {
    const app = clerkProxy({ env: {} })
    const res = await app.fetch(new Request('http://internal/__clerk/v1/client'))
    expect(res.status).toBe(500)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as { errors: { code: string; long_message: string }[] }
    expect(body.errors[0]!.code).toBe('proxy_configuration_error')
    expect(body.errors[0]!.long_message).toContain('CLERK_SECRET_KEY')
  })

  test('calls next() outside the prefix, so a bare app answers 404', async () => {
    const app = clerkProxy({ secretKey: SECRET, fapiUrl: fapi.url })
    expect((await app.fetch(new Request('http://internal/__clerkx'))).status).toBe(404)
  })

  test('refuses TRACE with 405 without reaching Clerk', async () => {
    const proxy = await start()
    const res = await sendRaw(proxy.url, { method: 'TRACE', target: '/__clerk/v1/client' })
    expect(res.status).toBe(405)
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('proxy_method_not_allowed')
    // Counted by method: the server's own start-up probe (a HEAD) may arrive meanwhile.
    expect(fapi.requests.filter((r) => r.method === 'TRACE')).toEqual([])
  })
})
