/**
 * `clerk-proxy doctor` held to Clerk's published contract for `GET /v1/proxy-health`
 * (FAPI's OpenAPI spec): the domain id is found and sent, and every documented answer (200
 * healthy, 200 unhealthy, 400 Clerk errors, 503 unhealthy) gets its own verdict and fix. Our
 * Node proxy in front of the spec-shaped FAPI stand-in; the Backend API stand-in lists domains.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { serve, type RunningServer } from '../adapters/node.ts'
import { doctorCommand, runDoctor, type DoctorReport } from '../src/cli/doctor.ts'
import type { CommandIo } from '../src/cli/io.ts'
import { startBackendApiStandIn, type BackendApiStandIn } from './support/backend-api-stand-in.ts'
import { startFapiStandIn, type FapiStandIn } from './support/fapi-stand-in.ts'

const SECRET = 'sk_live_doctorContractSecret0123456789ab'
const DOMAIN_ID = 'dmn_contract1'

let fapi: FapiStandIn
let api: BackendApiStandIn
let proxy: RunningServer
let url: string

beforeAll(async () => {
  fapi = await startFapiStandIn()
  api = await startBackendApiStandIn({ secretKey: SECRET, domains: [{ id: DOMAIN_ID, name: '127.0.0.1' }] })
  proxy = await serve({ port: 0, host: '127.0.0.1', secretKey: SECRET, fapiUrl: fapi.url, log: 'off', handleSignals: false })
  url = `${proxy.url}/__clerk`
})
afterAll(async () => {
  await proxy?.shutdown(100)
  await Promise.all([fapi?.close(), api?.close()])
})
afterEach(() => {
  fapi.proxyHealth.domainIds.splice(0, Infinity, DOMAIN_ID)
  fapi.proxyHealth.secretKey = SECRET
  fapi.proxyHealth.unavailable = undefined
  api.domains.splice(1)
  api.domains[0]!.proxy_url = null
})

function bufferIo(env: Record<string, string | undefined> = {}): CommandIo & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  return { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env, out: () => out, err: () => err }
}
const find = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id)!
const healthProbes = (): string[] => fapi.requests.filter((r) => r.url.startsWith('/v1/proxy-health')).map((r) => r.url)

describe('doctor finds the domain id', () => {
  it('without an id or a key, makes every other check and says plainly which were not made and why', async () => {
    fapi.proxyHealth.domainIds.splice(0, Infinity, DOMAIN_ID)
    const before = healthProbes().length
    const io = bufferIo()
    expect(await doctorCommand([url], io)).toBe(0)
    const out = io.out()
    expect(out).toContain('WARN  The Clerk domain to check is known (domain_id)')
    expect(out).toContain("no domain id and no CLERK_SECRET_KEY to look it up: Clerk's proxy-health, the client-IP checks and the forged X-Forwarded-For check were not made")
    expect(out).toContain('fix: To make them, pass --domain-id dmn_…')
    for (const title of ['Clerk reports the proxy healthy', 'Clerk sees your IP address', 'A forged X-Forwarded-For']) {
      expect(out).toMatch(new RegExp(`SKIP  ${title}.*\\n +not checked: Clerk's /v1/proxy-health needs the domain id`))
    }
    for (const title of ['The prefix answers', 'Paths outside the prefix', 'Environment answers JSON', 'clerk-js script decodes', 'No response leaks']) expect(out).toContain(`PASS  ${title}`)
    expect(out).toContain('could not be made without the domain id')
    expect(out).not.toContain('The proxy is ready')
    // No false advice: nothing tells the operator to change settings that may well be right.
    expect(out).not.toMatch(/Set CLERK_SECRET_KEY to|CLERK_PROXY_URL to exactly/)
    // And no probe outside the contract (proxy-health without domain_id) was sent.
    expect(healthProbes().length).toBe(before)
  })

  it('with CLERK_SECRET_KEY, looks the domain up in the Backend API and sends its id', async () => {
    const io = bufferIo({ CLERK_SECRET_KEY: SECRET, CLERK_API_URL: api.url })
    expect(await doctorCommand([url], io)).toBe(0)
    expect(io.out()).toContain(`PASS  The Clerk domain to check is known (domain_id)\n        127.0.0.1 (${DOMAIN_ID}, primary, no proxy); the instance has one domain`)
    expect(io.out()).toContain(`PASS  Clerk reports the proxy healthy (/v1/proxy-health)\n        status: healthy for domain ${DOMAIN_ID}`)
    expect(io.out()).toContain('PASS  Clerk sees your IP address')
    expect(io.out()).toContain('The proxy is ready.')
    expect(api.requests.some((r) => r.method === 'GET' && r.path === '/v1/domains' && r.authorization === `Bearer ${SECRET}`)).toBe(true)
    expect(healthProbes()).toContain(`/v1/proxy-health?domain_id=${DOMAIN_ID}`)
    expect(io.out() + io.err()).not.toContain(SECRET)
  })

  it('picks among several domains as enable does, and asks for --domain-id when it cannot', async () => {
    api.domains.push({ id: 'dmn_other', name: 'other.example', is_satellite: true, frontend_api_url: 'https://clerk.other.example', proxy_url: null })
    api.domains[0]!.name = 'app.example'
    try {
      const ambiguous = await runDoctor({ url, secretKey: SECRET, apiUrl: api.url })
      expect(find(ambiguous, 'domain-id')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^no domain matches 127\.0\.0\.1 \(app\.example .*other\.example .*\): the checks that need Clerk's proxy-health were not made$/) })
      expect(find(ambiguous, 'proxy-health').status).toBe('skip')
      const picked = await runDoctor({ url, secretKey: SECRET, apiUrl: api.url, domain: 'app.example' })
      expect(find(picked, 'domain-id')).toMatchObject({ status: 'pass', detail: `app.example (${DOMAIN_ID}, primary, no proxy); --domain app.example` })
      expect(find(picked, 'proxy-health').status).toBe('pass')
    } finally {
      api.domains[0]!.name = '127.0.0.1'
    }
  })

  it('reports a Backend API refusal without the key and without advice about the proxy', async () => {
    const report = await runDoctor({ url, secretKey: 'sk_live_notTheInstanceKey123456', apiUrl: api.url })
    const domain = find(report, 'domain-id')
    expect(domain.status).toBe('warn')
    expect(domain.detail).toMatch(/^could not list the instance's domains: Clerk answered 401: .*authentication_invalid.*Check CLERK_SECRET_KEY/)
    expect(JSON.stringify(report)).not.toContain('sk_live_notTheInstanceKey123456')
    expect(find(report, 'proxy-health').status).toBe('skip')
  })
})

describe("doctor reads every answer Clerk documents for /v1/proxy-health", () => {
  it('200 healthy passes and names the domain', async () => {
    expect(find(await runDoctor({ url, domainId: DOMAIN_ID }), 'proxy-health')).toMatchObject({ status: 'pass', detail: `status: healthy for domain ${DOMAIN_ID}` })
  })

  it('400 for a domain the instance does not have fails with the id and how to find the right one', async () => {
    const report = await runDoctor({ url, domainId: 'dmn_wrong' })
    const health = find(report, 'proxy-health')
    expect(health.status).toBe('fail')
    expect(health.detail).toBe('Clerk refused domain dmn_wrong: domain_id is invalid: No domain with id dmn_wrong belongs to this instance. (form_param_value_invalid)')
    expect(health.fix).toMatch(/^Clerk does not know this domain for the instance whose secret key the proxy sends/)
    // No address to read: the client-IP checks say so rather than fail.
    expect(find(report, 'client-ip')).toMatchObject({ status: 'skip', detail: 'no proxy-health answer to read it from' })
    expect(report.ok).toBe(false)
  })

  it('200 unhealthy fails with Clerk\'s message and the fix it points to', async () => {
    fapi.proxyHealth.secretKey = 'sk_live_anotherInstance0000000000'
    const health = find(await runDoctor({ url, domainId: DOMAIN_ID }), 'proxy-health')
    expect(health).toMatchObject({ status: 'fail', detail: `200 unhealthy for domain ${DOMAIN_ID}: missing or invalid Clerk-Secret-Key` })
    expect(health.fix).toMatch(/^Clerk did not accept the Clerk-Secret-Key the proxy sends: set CLERK_SECRET_KEY on the proxy/)
  })

  it('503 unhealthy fails with Clerk\'s message and says it may pass later', async () => {
    fapi.proxyHealth.unavailable = 'proxy health could not be determined'
    const health = find(await runDoctor({ url, domainId: DOMAIN_ID }), 'proxy-health')
    expect(health).toMatchObject({ status: 'fail', detail: `503 unhealthy for domain ${DOMAIN_ID}: proxy health could not be determined` })
    expect(health.fix).toContain('run doctor again in a few minutes')
  })

  it('a probe without domain_id is outside the contract: the stand-in answers 400 as FAPI does', async () => {
    const res = await fetch(`${url}/v1/proxy-health`)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ errors: [{ code: 'form_param_missing', message: 'domain_id is missing' }] })
  })
})

describe("doctor compares the app's proxy URL with the Clerk-Proxy-Url byte for byte", () => {
  it('passes when the app has exactly the URL the proxy sends, from --app-proxy-url or the environment', async () => {
    expect(find(await runDoctor({ url, domainId: DOMAIN_ID, appProxyUrl: { value: url, source: '--app-proxy-url' } }), 'proxy-url')).toMatchObject({
      status: 'pass',
      detail: `--app-proxy-url equals the Clerk-Proxy-Url the proxy sends (${url})`,
    })
    const io = bufferIo({ NEXT_PUBLIC_CLERK_PROXY_URL: url, CLERK_PROXY_URL: 'https://ignored.example/__clerk' })
    expect(await doctorCommand([url, '--domain-id', DOMAIN_ID], io)).toBe(0)
    expect(io.out()).toContain(`PASS  The app's proxy URL is the Clerk-Proxy-Url the proxy sends (token iss)\n        NEXT_PUBLIC_CLERK_PROXY_URL equals`)
  })

  it('fails on a trailing slash or another scheme, explaining the iss consequence', async () => {
    for (const app of [`${url}/`, url.replace('http:', 'https:')]) {
      const io = bufferIo({ CLERK_PROXY_URL: app })
      expect(await doctorCommand([url, '--domain-id', DOMAIN_ID], io), app).toBe(1)
      expect(io.out()).toContain(`FAIL  The app's proxy URL is the Clerk-Proxy-Url the proxy sends (token iss)\n        CLERK_PROXY_URL is ${JSON.stringify(app)}, which differs from the Clerk-Proxy-Url the proxy sends (${url})`)
      expect(io.out()).toContain('Session tokens minted through a proxy carry iss = the Clerk-Proxy-Url the proxy sends')
    }
  })

  it('fails when the proxy sends another URL than the one browsers use (a fixed CLERK_PROXY_URL for another host)', async () => {
    const elsewhere = await serve({ port: 0, host: '127.0.0.1', secretKey: SECRET, fapiUrl: fapi.url, proxyUrl: 'https://app.example.test/__clerk/', log: 'off', handleSignals: false })
    try {
      const check = find(await runDoctor({ url: `${elsewhere.url}/__clerk`, domainId: DOMAIN_ID }), 'proxy-url')
      expect(check).toMatchObject({ status: 'fail', detail: `the proxy sends Clerk-Proxy-Url: https://app.example.test/__clerk, but browsers reach it at ${elsewhere.url}/__clerk` })
    } finally {
      await elsewhere.shutdown(100)
    }
  })

  it("warns when the domain's proxy_url at Clerk is another URL", async () => {
    api.domains[0]!.proxy_url = 'https://old.example/__clerk'
    const check = find(await runDoctor({ url, secretKey: SECRET, apiUrl: api.url }), 'proxy-url')
    expect(check).toMatchObject({ status: 'warn', detail: `Clerk's domain is set to proxy_url https://old.example/__clerk, which differs from the Clerk-Proxy-Url the proxy sends (${url})` })
    expect(check.fix).toContain(`clerk-proxy enable --proxy-url ${url}`)
  })

  it('without the app\'s URL, says the comparison was not made', async () => {
    expect(find(await runDoctor({ url, domainId: DOMAIN_ID }), 'proxy-url')).toMatchObject({ status: 'skip', detail: expect.stringContaining('pass --app-proxy-url') })
  })
})
