/**
 * The Node server's connections to the Frontend API, over real HTTPS against a stand-in that
 * behaves like Cloudflare (HTTP/2 + HTTP/1.1 by ALPN, idle connections kept): connected before
 * the first request, multiplexed, reopened ahead of need, and a request that meets a
 * connection the upstream just dropped sent again only when that is safe.
 */
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

/** Starts the CLI proxy in front of `fapiUrl`, trusting the test certificate. */
function startProxy(fapiUrl: string, extra: Record<string, string> = {}): Promise<SpawnedServer> {
  return spawnServer(process.execPath, ['bin/clerk-proxy.js'], {
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

for (const http2 of [true, false]) {
  const held = http2 ? 1 : 8
  describe(`upstream offering ${http2 ? 'HTTP/2 and HTTP/1.1' : 'HTTP/1.1 only'}`, () => {
    let fapi: TlsFapiStandIn
    let proxy: SpawnedServer

    beforeAll(async () => {
      fapi = await startTlsFapiStandIn(certificate, { http2 })
      proxy = await startProxy(fapi.url)
    })
    afterAll(async () => {
      await proxy?.stop()
      await fapi?.close()
    })

    test(`connects at start, before any request: ${held} warm connection(s), ${http2 ? 'h2' : 'http/1.1'} by ALPN, and probes once on one of them`, async () => {
      await fapi.until(() => fapi.open() === held && fapi.requests.length === 1)
      expect(fapi.connections.map((c) => c.alpn)).toEqual(Array(held).fill(http2 ? 'h2' : 'http/1.1'))
      // The start-up probe: what Clerk receives before any visitor, on a pre-connected connection.
      const [probe] = fapi.requests
      expect(probe).toMatchObject({ method: 'HEAD', path: '/v1/environment' })
      expect(probe!.connection).toBeGreaterThanOrEqual(0)
      expect(probe!.connection).toBeLessThan(held)
      expect(Object.keys(probe!.headers).filter((name) => !['host', 'connection'].includes(name))).toEqual([])
      const first = await get(proxy, '/v1/environment')
      expect(first.status).toBe(200)
      expect(fapi.connections.length).toBe(held)
      if (http2) expect(fapi.requests.map((r) => r.connection)).toEqual([0, 0])
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

    test('when the upstream closes idle connections, the proxy reconnects before the next request', async () => {
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

test('Bun opens CLERK_PROXY_UPSTREAM_CONNECTIONS connections at start (fetch.preconnect); a burst that size opens none', async () => {
  const fapi = await startTlsFapiStandIn(certificate, { http2: true })
  const bun = await spawnServer(`${process.cwd()}/node_modules/.bin/bun`, ['run', 'adapters/bun.ts'], {
    PATH: process.env.PATH ?? '',
    CLERK_SECRET_KEY: SECRET,
    CLERK_FAPI_URL: fapi.url,
    CLERK_PROXY_UPSTREAM_CONNECTIONS: '4',
    PORT: '0',
    HOST: '127.0.0.1',
    CLERK_PROXY_LOG: 'off',
    NODE_EXTRA_CA_CERTS: certificate.caFile,
  })
  try {
    await fapi.until(() => fapi.connections.length === 4)
    expect(fapi.requests).toEqual([])
    const answers = await Promise.all(Array.from({ length: 4 }, () => get(bun, '/barrier/4')))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200])
    expect(fapi.connections.length).toBe(4)
  } finally {
    await bun.stop()
    await fapi.close()
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
