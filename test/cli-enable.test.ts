/**
 * `clerk-proxy enable` / `disable` against the Backend API stand-in, with the real Node proxy
 * in front of the FAPI stand-in (Clerk's proxy check, run by the stand-in, reaches it for real).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { serve, type RunningServer } from '../adapters/node.ts'
import { pickDomain } from '../src/cli/pick-domain.ts'
import { disableCommand, enableCommand } from '../src/cli/enable.ts'
import type { CommandIo } from '../src/cli/io.ts'
import { clerkError, startBackendApiStandIn, type BackendApiStandIn } from './support/backend-api-stand-in.ts'
import { startBrokenProxy } from './support/broken-proxy.ts'
import { startFapiStandIn, type FapiStandIn } from './support/fapi-stand-in.ts'
import { refusedPort } from './support/refused-port.ts'

const SECRET = 'sk_live_enableTestSecret0123456789abcdef'

let fapi: FapiStandIn
let proxy: RunningServer
let proxyUrl: string
let api: BackendApiStandIn | undefined
const outputs: string[] = []

beforeAll(async () => {
  fapi = await startFapiStandIn()
  proxy = await serve({ port: 0, host: '127.0.0.1', secretKey: SECRET, fapiUrl: fapi.url, log: 'off', handleSignals: false })
  proxyUrl = `${proxy.url}/__clerk`
})
afterEach(async () => {
  await api?.close()
  api = undefined
})
afterAll(async () => {
  await proxy?.shutdown(100)
  await fapi?.close()
  // Whatever each command printed, on either stream, never carried the secret.
  expect(outputs.length).toBeGreaterThan(10)
  for (const text of outputs) expect(text).not.toContain(SECRET)
})

type TestIo = CommandIo & { out: () => string; err: () => string }

function testIo(env: Record<string, string | undefined>, answers?: string[]): TestIo {
  let out = ''
  let err = ''
  const slot = outputs.push('') - 1
  const record = (): void => void (outputs[slot] = out + err)
  return {
    stdout: { write: (t: string) => ((out += t), record()) },
    stderr: { write: (t: string) => ((err += t), record()) },
    env,
    ...(answers ? { ask: async (q: string) => ((err += q), record(), answers.shift() ?? '') } : {}),
    out: () => out,
    err: () => err,
  }
}

async function startApi(domains: { id: string; name: string; proxy_url?: string | null; is_satellite?: boolean }[]): Promise<BackendApiStandIn> {
  api = await startBackendApiStandIn({ secretKey: SECRET, domains })
  return api
}
const env = (extra: Record<string, string> = {}): Record<string, string> => ({ CLERK_SECRET_KEY: SECRET, CLERK_API_URL: api!.url, ...extra })
const calls = (): string[] => api!.requests.map((r) => `${r.method} ${r.path}`)

describe('clerk-proxy enable', () => {
  it('runs doctor, picks the only domain, runs Clerk\'s check, sets proxy_url and confirms', async () => {
    const backend = await startApi([{ id: 'dmn_1', name: 'example.com' }])
    const io = testIo(env())
    expect(await enableCommand(['--proxy-url', proxyUrl], io)).toBe(0)
    expect(calls()).toEqual(['GET /v1/domains', 'POST /v1/proxy_checks', 'PATCH /v1/domains/dmn_1'])
    expect(backend.requests[1]!.body).toEqual({ domain_id: 'dmn_1', proxy_url: proxyUrl })
    expect(backend.requests[2]!.body).toEqual({ proxy_url: proxyUrl })
    expect(backend.requests.every((r) => r.authorization === `Bearer ${SECRET}`)).toBe(true)
    expect(backend.domains[0]!.proxy_url).toBe(proxyUrl)
    expect(io.out()).toContain('Step 2/4: checking')
    expect(io.out()).toContain('status: healthy for domain dmn_1')
    expect(io.out()).toContain('PASS  Clerk reports the proxy healthy')
    expect(io.out()).toContain("Clerk's check passed (proxychk_standin)")
    expect(io.out()).toContain(`Done: example.com now uses ${proxyUrl}.`)
    expect(io.err()).toContain(`… GET ${backend.url}/v1/domains`)
  })

  it('--dry-run runs every check but sends no PATCH', async () => {
    const backend = await startApi([{ id: 'dmn_1', name: 'example.com' }])
    const io = testIo(env())
    expect(await enableCommand(['--proxy-url', proxyUrl, '--dry-run', '--skip-doctor'], io)).toBe(0)
    expect(calls()).toEqual(['GET /v1/domains', 'POST /v1/proxy_checks'])
    expect(backend.domains[0]!.proxy_url).toBeNull()
    expect(io.out()).toContain(`dry run: would send PATCH /v1/domains/dmn_1 {"proxy_url":"${proxyUrl}"}. Nothing was changed.`)
  })

  it('stops before Clerk\'s check and any change when doctor finds a failure', async () => {
    await startApi([{ id: 'dmn_1', name: 'example.com' }])
    const bad = await startBrokenProxy({ fapiUrl: fapi.url, secretKey: SECRET, breakage: 'trusts-forwarded-for' })
    try {
      const io = testIo(env())
      expect(await enableCommand(['--proxy-url', bad.url], io)).toBe(1)
      expect(calls()).toEqual(['GET /v1/domains'])
      expect(io.out()).toContain('FAIL  A forged X-Forwarded-For does not change what Clerk sees')
      expect(io.err()).toContain('doctor found failures; nothing was changed')
    } finally {
      await bad.close()
    }
  })

  it("stops when Clerk's proxy check fails, without PATCH", async () => {
    await startApi([{ id: 'dmn_1', name: 'example.com' }])
    const bad = await startBrokenProxy({ fapiUrl: fapi.url, secretKey: SECRET, breakage: 'none' })
    const url = bad.url
    await bad.close() // Clerk cannot reach it
    const io = testIo(env())
    expect(await enableCommand(['--proxy-url', url, '--skip-doctor'], io)).toBe(1)
    expect(calls()).toEqual(['GET /v1/domains', 'POST /v1/proxy_checks'])
    expect(io.out()).toContain("Clerk's check failed")
  })

  it('fails with the list when the domain is ambiguous and no one can answer', async () => {
    await startApi([
      { id: 'dmn_1', name: 'example.com' },
      { id: 'dmn_2', name: 'example.org', is_satellite: true },
    ])
    const io = testIo(env())
    expect(await enableCommand(['--proxy-url', proxyUrl, '--skip-doctor'], io)).toBe(1)
    expect(calls()).toEqual(['GET /v1/domains'])
    expect(io.err()).toContain('which domain? no domain matches 127.0.0.1')
    expect(io.err()).toContain('1) example.com (dmn_1, primary, no proxy)')
    expect(io.err()).toContain('2) example.org (dmn_2, satellite, no proxy)')
    expect(io.err()).toContain('Pass --domain <name or id>.')
  })

  it('asks when ambiguous and a person can answer, then changes the chosen domain', async () => {
    const backend = await startApi([
      { id: 'dmn_1', name: 'example.com' },
      { id: 'dmn_2', name: 'example.org' },
    ])
    const io = testIo(env(), ['2'])
    expect(await enableCommand(['--proxy-url', proxyUrl, '--skip-doctor'], io)).toBe(0)
    expect(io.err()).toContain('Number 1-2: ')
    expect(calls()).toEqual(['GET /v1/domains', 'POST /v1/proxy_checks', 'PATCH /v1/domains/dmn_2'])
    expect(backend.domains.map((d) => d.proxy_url)).toEqual([null, proxyUrl])

    const wrong = testIo(env(), ['7'])
    expect(await enableCommand(['--proxy-url', proxyUrl, '--skip-doctor'], wrong)).toBe(1)
    expect(wrong.err()).toContain('"7" is not one of 1-2; nothing was changed.')
  })

  it('takes --domain as a name or an id, and lists the domains when it matches none', async () => {
    const backend = await startApi([
      { id: 'dmn_1', name: 'example.com' },
      { id: 'dmn_2', name: 'example.org' },
    ])
    expect(await enableCommand(['--proxy-url', proxyUrl, '--skip-doctor', '--domain', 'EXAMPLE.org'], testIo(env()))).toBe(0)
    expect(backend.domains[1]!.proxy_url).toBe(proxyUrl)
    expect(await enableCommand(['--proxy-url', proxyUrl, '--skip-doctor', '--domain', 'dmn_1'], testIo(env()))).toBe(0)
    expect(backend.domains[0]!.proxy_url).toBe(proxyUrl)
    const io = testIo(env())
    expect(await enableCommand(['--proxy-url', proxyUrl, '--skip-doctor', '--domain', 'nope.dev'], io)).toBe(1)
    expect(io.err()).toContain('no domain has the id or name "nope.dev"')
    expect(io.err()).toContain('2) example.org')
  })

  it("shows Clerk's error answers readably and never the secret, even when Clerk echoes it", async () => {
    const backend = await startApi([{ id: 'dmn_1', name: 'example.com' }])
    backend.routes.push((req, res, record) => {
      if (req.method !== 'PATCH') return false
      clerkError(res, 422, 'form_param_format_invalid', 'is invalid', `proxy_url rejected for key ${String(record.authorization).slice(7)}`)
      return true
    })
    const io = testIo(env())
    expect(await enableCommand(['--proxy-url', proxyUrl, '--skip-doctor'], io)).toBe(1)
    expect(io.err()).toContain('Clerk answered 422:\n  - is invalid: proxy_url rejected for key [secret key hidden] (code: form_param_format_invalid)')
    expect(io.err()).not.toContain(SECRET)

    const wrongKey = testIo({ CLERK_SECRET_KEY: 'sk_live_wrongKey987654321', CLERK_API_URL: backend.url })
    expect(await enableCommand(['--proxy-url', proxyUrl, '--skip-doctor'], wrongKey)).toBe(1)
    expect(wrongKey.err()).toContain('Clerk answered 401:\n  - Invalid authentication: Unable to authenticate the request, you need to supply an active API key (code: authentication_invalid)')
    expect(wrongKey.err()).toContain('Check CLERK_SECRET_KEY')
    expect(wrongKey.err()).not.toContain('sk_live_wrongKey987654321')
  })

  it('reports an unreachable Backend API and a missing secret key', async () => {
    const url = `http://127.0.0.1:${await refusedPort()}`
    const io = testIo({ CLERK_SECRET_KEY: SECRET, CLERK_API_URL: url })
    expect(await enableCommand(['--proxy-url', proxyUrl, '--skip-doctor'], io)).toBe(1)
    expect(io.err()).toContain(`could not reach the Clerk Backend API at ${url}`)
    const none = testIo({})
    expect(await enableCommand(['--proxy-url', proxyUrl], none)).toBe(1)
    expect(none.err()).toContain('CLERK_SECRET_KEY is not set')
    expect(await enableCommand([], testIo({ CLERK_SECRET_KEY: SECRET }))).toBe(2)
  })
})

describe('clerk-proxy disable', () => {
  it('clears the proxy of the only proxied domain and confirms; --dry-run changes nothing', async () => {
    const backend = await startApi([
      { id: 'dmn_1', name: 'example.com', proxy_url: 'https://example.com/__clerk' },
      { id: 'dmn_2', name: 'example.org' },
    ])
    const dry = testIo(env())
    expect(await disableCommand(['--dry-run'], dry)).toBe(0)
    expect(calls()).toEqual(['GET /v1/domains'])
    expect(dry.out()).toContain('Dry run: would send PATCH /v1/domains/dmn_1 {"proxy_url":null}')

    const io = testIo(env())
    expect(await disableCommand([], io)).toBe(0)
    expect(calls()).toEqual(['GET /v1/domains', 'GET /v1/domains', 'PATCH /v1/domains/dmn_1'])
    expect(backend.requests[2]!.body).toEqual({ proxy_url: null })
    expect(backend.domains[0]!.proxy_url).toBeNull()
    expect(io.out()).toContain('Done: example.com no longer uses https://example.com/__clerk')

    const again = testIo(env())
    expect(await disableCommand(['--domain', 'example.com'], again)).toBe(0)
    expect(again.out()).toContain('example.com does not use a proxy; nothing to change.')
  })

  it('fails with the list when several domains use a proxy', async () => {
    await startApi([
      { id: 'dmn_1', name: 'example.com', proxy_url: 'https://example.com/__clerk' },
      { id: 'dmn_2', name: 'example.org', proxy_url: 'https://example.org/__clerk' },
    ])
    const io = testIo(env())
    expect(await disableCommand([], io)).toBe(1)
    expect(io.err()).toContain('which domain? 2 domains use a proxy')
    expect(calls()).toEqual(['GET /v1/domains'])
  })
})

describe('pickDomain', () => {
  const domains = [
    { id: 'dmn_1', name: 'example.com' },
    { id: 'dmn_2', name: 'shop.example.com' },
    { id: 'dmn_3', name: 'example.org' },
  ]
  it('matches the proxy URL host to the longest domain it belongs to', () => {
    expect(pickDomain(domains, { proxyUrl: 'https://app.example.com/__clerk' })).toMatchObject({ kind: 'picked', domain: { id: 'dmn_1' } })
    expect(pickDomain(domains, { proxyUrl: 'https://www.shop.example.com/__clerk' })).toMatchObject({ kind: 'picked', domain: { id: 'dmn_2' } })
    expect(pickDomain(domains, { proxyUrl: 'https://example.org/__clerk' })).toMatchObject({ kind: 'picked', domain: { id: 'dmn_3' } })
    expect(pickDomain(domains, { proxyUrl: 'https://badexample.com/__clerk' })).toMatchObject({ kind: 'ambiguous' })
  })
  it('reports an instance without domains', () => {
    expect(pickDomain([], {})).toEqual({ kind: 'none', why: 'the instance has no domains' })
  })
})
