/**
 * The Node and Bun servers' connections to the Frontend API, over real HTTPS against a stand-in that
 * behaves like Cloudflare (HTTP/2 + HTTP/1.1 by ALPN, idle connections kept): connected before
 * the first request, multiplexed, reopened ahead of need, and a request that meets a
 * connection the upstream just dropped sent again only when that is safe.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { refusedPort } from '../support/refused-port.ts'
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts'
import { makeCertificate, startTlsFapiStandIn, type TestCertificate, type TlsFapiStandIn } from '../support/tls-fapi-stand-in.ts'

const SECRET = 'sk_test_upstreamPoolSecret'
let certificate: TestCertificate

beforeAll(() => {
  certificate = makeCertificate()
})
afterAll(() => certificate?.remove())

/** The two servers that hold their own upstream connections: the CLI on Node, and Bun's. */
const SERVERS = {
  node: [process.execPath, ['bin/clerk-proxy.js']],
  bun: [`${process.cwd()}/node_modules/.bin/bun`, ['run', 'adapters/bun.ts']],
} as const

/** Starts the proxy on `runtime` in front of `fapiUrl`, trusting the test certificate. */
function startProxy(fapiUrl: string, extra: Record<string, string> = {}, runtime: keyof typeof SERVERS = 'node'): Promise<SpawnedServer> {
  const [command, args] = SERVERS[runtime]
  return spawnServer(command, args, {
    PATH: process.env.PATH ?? '',
    CLERK_SECRET_KEY: SECRET,
    CLERK_FAPI_URL: fapiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    CLERK_PROXY_LOG: 'pretty',
    NODE_EXTRA_CA_CERTS: certificate.caFile,
    ...extra,
  })
}

async function get(proxy: SpawnedServer, path: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`${proxy.baseUrl}/__clerk${path}`, init)
  return { status: response.status, body: await response.text() }
}

const attempts = (fapi: TlsFapiStandIn, method: string, path: string): number =>
  fapi.requests.filter((r) => r.method === method && r.path === path).length

for (const runtime of ['node', 'bun'] as const) for (const http2 of [true, false]) {
  const held = http2 ? 1 : 8
  // Bun learns that an origin speaks HTTP/1.1 only from a first connection, closed at once; its
  // fetch then holds the warm ones, opened by as many GET /v1/environment, and does not say when the
  // upstream closes one.
  const fetchPool = runtime === 'bun' && !http2
  const probes = fetchPool ? 1 : 0
  const warmUps = fetchPool ? held : 0
  describe(`${runtime}: upstream offering ${http2 ? 'HTTP/2 and HTTP/1.1' : 'HTTP/1.1 only'}`, () => {
    let fapi: TlsFapiStandIn
    let proxy: SpawnedServer

    beforeAll(async () => {
      fapi = await startTlsFapiStandIn(certificate, { http2 })
      proxy = await startProxy(fapi.url, {}, runtime)
    })
    afterAll(async () => {
      await proxy?.stop()
      await fapi?.close()
    })

    test(`connects at start, before any request: ${held} warm connection(s), ${http2 ? 'h2' : 'http/1.1'} by ALPN${runtime === 'node' ? ', and probes once on one of them' : ''}`, async () => {
      const startRequests = runtime === 'node' ? 1 : warmUps
      await fapi.until(() => fapi.open() === held && fapi.connections.length === held + probes && fapi.requests.length === startRequests)
      expect(fapi.connections.map((c) => c.alpn)).toEqual(Array(held + probes).fill(http2 ? 'h2' : 'http/1.1'))
      if (runtime === 'node') {
        // The start-up probe: what Clerk receives before any visitor, on a pre-connected connection.
        const [probe] = fapi.requests
        expect(probe).toMatchObject({ method: 'HEAD', path: '/v1/environment' })
        expect(probe!.connection).toBeGreaterThanOrEqual(0)
        expect(probe!.connection).toBeLessThan(held)
        expect(Object.keys(probe!.headers).filter((name) => !['host', 'connection'].includes(name))).toEqual([])
      } else {
        // Bun sends nothing over HTTP/2; its fetch fallback opens its warm connections with as many
        // GET /v1/environment at once, carrying only what Bun's fetch adds itself.
        expect(fapi.requests.map((r) => `${r.method} ${r.path} ${r.httpVersion}`)).toEqual(Array(warmUps).fill('GET /v1/environment 1.1'))
        const bunOwn = ['host', 'connection', 'user-agent', 'accept', 'accept-encoding']
        for (const r of fapi.requests) expect(Object.keys(r.headers).filter((name) => !bunOwn.includes(name))).toEqual([])
      }
      const first = await get(proxy, '/v1/environment')
      expect(first.status).toBe(200)
      expect(fapi.connections.length).toBe(held + probes)
      if (http2) expect(fapi.requests.map((r) => r.connection)).toEqual(runtime === 'node' ? [0, 0] : [0])
    })

    test(`a burst of ${http2 ? 16 : 8} concurrent requests rides the warm connection(s), none opened`, async () => {
      const size = http2 ? 16 : 8
      const before = fapi.connections.length
      const answers = await Promise.all(Array.from({ length: size }, () => get(proxy, `/barrier/${size}`)))
      expect(answers.map((a) => a.status)).toEqual(Array(size).fill(200))
      // The barrier only answers once all of them are waiting at the upstream at once.
      expect(attempts(fapi, 'GET', `/barrier/${size}`)).toBe(size)
      expect(fapi.connections.length).toBe(before)
      expect(new Set(fapi.requests.map((r) => r.httpVersion))).toEqual(new Set([http2 ? '2.0' : '1.1']))
    })

    // Bun's HTTP/1.1 fallback is Bun's fetch, which reports no close (docs/network.md, "Bun"): it reconnects on use instead.
    if (fetchPool)
      test("on Bun's HTTP/1.1 fallback, a request after the upstream closed the idle connections is answered on a new one", async () => {
        const before = fapi.connections.length
        fapi.closeIdle()
        await fapi.until(() => fapi.open() === 0)
        expect((await get(proxy, '/v1/client')).status).toBe(200)
        expect(fapi.connections.length).toBeGreaterThan(before)
      })
    else test('when the upstream closes idle connections, the proxy reconnects before the next request', async () => {
      // Twice: the second time it closes connections the proxy opened ahead of need and has not used yet.
      for (let round = 0; round < 2; round++) {
        const before = fapi.connections.length
        fapi.closeIdle()
        await fapi.until(() => fapi.connections.length >= before + held && fapi.open() === held)
      }
      const opened = fapi.connections.length
      expect((await get(proxy, '/v1/client')).status).toBe(200)
      expect(fapi.connections.length).toBe(opened)
    })

    test('a GET that meets a connection the upstream drops is sent once more, on a fresh connection', async () => {
      fapi.misbehaveOnNext('GET', 'drop-connection')
      const answer = await get(proxy, '/v1/retried-get')
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.body)).toMatchObject({ path: '/v1/retried-get' })
      expect(attempts(fapi, 'GET', '/v1/retried-get')).toBe(2)
    })

    test('a POST that meets a dropped connection is never sent again: 502', async () => {
      fapi.misbehaveOnNext('POST', 'drop-connection')
      const answer = await get(proxy, '/v1/client/sign_ins', { method: 'POST', body: 'identifier=a%40b.c', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      expect(answer.status).toBe(502)
      expect(answer.body).not.toContain(SECRET)
      expect(attempts(fapi, 'POST', '/v1/client/sign_ins')).toBe(1)
      expect((await get(proxy, '/v1/after-post')).status).toBe(200)
    })

    if (http2) {
      test('a stream the upstream refuses (RST_STREAM REFUSED_STREAM) is retried for GET', async () => {
        fapi.misbehaveOnNext('GET', 'refuse-stream')
        expect((await get(proxy, '/v1/refused')).status).toBe(200)
        expect(attempts(fapi, 'GET', '/v1/refused')).toBe(2)
      })

      test('after a GOAWAY the proxy opens a new session and goes on answering', async () => {
        const before = fapi.connections.length
        fapi.goAway()
        await fapi.until(() => fapi.connections.length > before && fapi.open() === 1)
        expect((await get(proxy, '/v1/after-goaway')).status).toBe(200)
        expect(fapi.connections.length).toBe(before + 1)
      })
    }

    test('the secret key never reaches the log', () => {
      expect(proxy.output()).not.toContain(SECRET)
    })
  })
}

test('a start that cannot reach the Frontend API still starts, says so once, and connects when it can', async () => {
  // A port that was free a moment ago: nothing listens there until the stand-in starts on it.
  // Below the ephemeral range, so no other test's server can take it before the stand-in does.
  const port = await refusedPort([1001, 1003, 1005])
  const proxy = await startProxy(`https://127.0.0.1:${port}`)
  let fapi: TlsFapiStandIn | undefined
  try {
    const health = await fetch(`${proxy.baseUrl}/healthz`)
    expect(health.status).toBe(200)
    const unreachableLines = (): string[] => proxy.output().split('\n').filter((line) => line.includes('cannot connect to the Frontend API'))
    await until(() => unreachableLines().length > 0)
    const meanwhile = await get(proxy, '/v1/environment')
    expect(meanwhile.status).toBe(502)
    expect(meanwhile.body).not.toContain(SECRET)
    fapi = await startTlsFapiStandIn(certificate, { http2: true, port })
    await fapi.until(() => fapi!.open() === 1)
    expect((await get(proxy, '/v1/environment')).status).toBe(200)
    expect(fapi.connections.length).toBe(1)
    expect(unreachableLines()).toHaveLength(1)
    expect(proxy.output()).toContain('connected to the Frontend API')
    expect(proxy.output()).not.toContain(SECRET)
  } finally {
    await proxy.stop()
    await fapi?.close()
  }
})

/** Polls `predicate` every 50 ms for up to 10 s. */
async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (predicate()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`condition not met: ${predicate.toString()}`)
}

test('Bun with CLERK_PROXY_UPSTREAM_PRECONNECT=off connects with the first request, and again with the first after the upstream closed', async () => {
  const fapi = await startTlsFapiStandIn(certificate, { http2: true })
  const bun = await startProxy(fapi.url, { CLERK_PROXY_UPSTREAM_PRECONNECT: 'off' }, 'bun')
  try {
    expect((await fetch(`${bun.baseUrl}/healthz`)).status).toBe(200)
    expect(fapi.connections.length).toBe(0)
    expect((await get(bun, '/v1/environment')).status).toBe(200)
    expect(fapi.connections.map((c) => c.alpn)).toEqual(['h2'])
    fapi.closeIdle()
    await fapi.until(() => fapi.open() === 0)
    expect((await get(bun, '/v1/client')).status).toBe(200)
    expect(fapi.connections.length).toBe(2)
  } finally {
    await bun.stop()
    await fapi.close()
  }
})

test('Bun closes a session idle for CLERK_PROXY_UPSTREAM_KEEPALIVE itself (inside the upstream\'s limit) and opens the next before any request', async () => {
  const fapi = await startTlsFapiStandIn(certificate, { http2: true })
  const bun = await startProxy(fapi.url, { CLERK_PROXY_UPSTREAM_KEEPALIVE: '1500' }, 'bun')
  try {
    // The first session closed by the proxy's own idle limit, its replacement open: no request made either.
    await fapi.until(() => fapi.connections.length >= 2 && fapi.connections[0]!.closed && fapi.open() === 1, 20_000)
    expect(fapi.requests).toEqual([])
    expect((await get(bun, '/v1/environment')).status).toBe(200)
  } finally {
    await bun.stop()
    await fapi.close()
  }
})

test('Bun: while the connection to Clerk hangs in its handshake, a request still ends at CLERK_PROXY_TIMEOUT (504)', async () => {
  // Accepts TCP and never answers the TLS handshake, as a black-holed upstream does.
  const held = new Set<Socket>()
  const silent = createServer((socket) => void held.add(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const bun = await startProxy(`https://127.0.0.1:${(silent.address() as AddressInfo).port}`, { CLERK_PROXY_TIMEOUT: '500' }, 'bun')
  try {
    const answer = await get(bun, '/v1/client')
    expect(answer.status).toBe(504)
    expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ code: 'proxy_timeout' }] })
  } finally {
    await bun.stop()
    for (const socket of held) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  }
})

test('with CLERK_PROXY_UPSTREAM_PRECONNECT=off nothing reaches the Frontend API at start: the first request is the first it sees', async () => {
  const fapi = await startTlsFapiStandIn(certificate, { http2: true })
  const proxy = await startProxy(fapi.url, { CLERK_PROXY_UPSTREAM_PRECONNECT: 'off' })
  try {
    expect((await fetch(`${proxy.baseUrl}/healthz`)).status).toBe(200)
    expect((await get(proxy, '/v1/environment')).status).toBe(200)
    expect(fapi.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/environment'])
    expect(fapi.connections).toHaveLength(1)
  } finally {
    await proxy.stop()
    await fapi.close()
  }
})
