/**
 * The Deno server's connection to the Frontend API, over real HTTPS against a Cloudflare-like
 * stand-in (HTTP/2 + HTTP/1.1 by ALPN). Deno's `fetch` cannot connect ahead of a request, so
 * the server's start-up probe does: the connection it opens is the one the first visitor's
 * request rides.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { refusedPort } from '../support/refused-port.ts'
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts'
import { makeCertificate as makeCaSignedCertificate } from '../../bench/wan/certificate.mjs'
import { startTlsFapiStandIn, type TestCertificate } from '../support/tls-fapi-stand-in.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const SECRET = 'sk_test_denoUpstreamSecret'
let certificate: TestCertificate

beforeAll(() => {
  // Signed by a CA of its own: rustls (Deno) refuses a self-signed certificate as a server's.
  const dir = mkdtempSync(join(tmpdir(), 'clerk-proxy-deno-cert-'))
  const made = makeCaSignedCertificate(dir)
  certificate = { key: Buffer.from(made.key), cert: Buffer.from(made.cert), caFile: made.caFile, remove: () => rmSync(dir, { recursive: true, force: true }) }
})
afterAll(() => certificate?.remove())

/** Starts `deno run adapters/deno.ts` in front of `fapiUrl`, trusting the test certificate. */
function startDeno(fapiUrl: string, extra: Record<string, string> = {}): Promise<SpawnedServer> {
  return spawnServer(`${root}node_modules/.bin/deno`, ['run', '--allow-net', '--allow-env', '--cert', certificate.caFile, `${root}adapters/deno.ts`], {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DENO_DIR: `${root}.deno`,
    NO_COLOR: '1',
    CLERK_SECRET_KEY: SECRET,
    CLERK_FAPI_URL: fapiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    CLERK_PROXY_LOG: 'pretty',
    ...extra,
  })
}

const get = (proxy: SpawnedServer, path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${proxy.baseUrl}/__clerk${path}`, { headers })

test('the start-up probe opens the HTTP/2 connection, sends nothing of a visitor or the secret, and the first request rides it', async () => {
  const fapi = await startTlsFapiStandIn(certificate, { http2: true })
  const proxy = await startDeno(fapi.url)
  try {
    await fapi.until(() => fapi.requests.length === 1, 20_000)
    const [probe] = fapi.requests
    expect(probe).toMatchObject({ method: 'HEAD', path: '/v1/environment', httpVersion: '2.0', connection: 0 })
    for (const name of ['clerk-secret-key', 'clerk-proxy-url', 'cookie', 'x-forwarded-for', 'forwarded', 'x-real-ip', 'authorization']) expect(probe!.headers).not.toHaveProperty(name)
    expect(JSON.stringify(probe!.headers)).not.toContain(SECRET)
    const first = await get(proxy, '/v1/environment', { cookie: '__client=visitor', 'x-forwarded-for': '203.0.113.9' })
    expect(first.status).toBe(200)
    await first.text()
    expect(fapi.connections).toHaveLength(1)
    expect(fapi.requests.map((r) => r.connection)).toEqual([0, 0])
    // The visitor's own request does carry what a proxied request carries.
    expect(fapi.requests[1]!.headers['clerk-secret-key']).toBe(SECRET)
  } finally {
    await proxy.stop()
    await fapi.close()
  }
})

test('with CLERK_PROXY_UPSTREAM_PRECONNECT=off nothing reaches the Frontend API at start', async () => {
  const fapi = await startTlsFapiStandIn(certificate, { http2: true })
  const proxy = await startDeno(fapi.url, { CLERK_PROXY_UPSTREAM_PRECONNECT: 'off' })
  try {
    expect((await fetch(`${proxy.baseUrl}/healthz`)).status).toBe(200)
    const first = await get(proxy, '/v1/environment')
    expect(first.status).toBe(200)
    await first.text()
    expect(fapi.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/environment'])
  } finally {
    await proxy.stop()
    await fapi.close()
  }
})

test('a start that cannot reach the Frontend API still starts, says so once without the secret, and answers 502', async () => {
  const port = await refusedPort()
  const proxy = await startDeno(`https://127.0.0.1:${port}`)
  try {
    const unreachableLines = (): string[] => proxy.output().split('\n').filter((line) => line.includes('cannot reach the Frontend API at start'))
    for (let i = 0; i < 400 && unreachableLines().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(unreachableLines()).toHaveLength(1)
    const answer = await get(proxy, '/v1/environment')
    expect(answer.status).toBe(502)
    expect(await answer.text()).not.toContain(SECRET)
    expect(unreachableLines()).toHaveLength(1)
    expect(proxy.output()).not.toContain(SECRET)
    expect(proxy.output()).not.toContain(`127.0.0.1:${port}/`)
  } finally {
    await proxy.stop()
  }
})
