/**
 * `clerk-proxy doctor` against real servers: our Node proxy in front of the FAPI stand-in (all
 * checks pass), and deliberately broken proxies (each fails exactly the check meant to catch it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { serve, type RunningServer } from '../adapters/node.ts'
import { doctorCommand, runDoctor, type DoctorReport } from '../src/cli/doctor.ts'
import type { CommandIo } from '../src/cli/io.ts'
import { startBrokenProxy, type Breakage } from './support/broken-proxy.ts'
import { SECRET_COOKIE_EXPIRES, startFapiStandIn, type FapiStandIn } from './support/fapi-stand-in.ts'

const SECRET = 'sk_live_doctorTestSecret0123456789abcdef'

let fapi: FapiStandIn
let proxy: RunningServer

const DOMAIN_ID = 'dmn_doctorTest'

/** Like real FAPI: /v1/client sets several cookies. */
function realisticFapi(req: IncomingMessage, res: ServerResponse): boolean {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  if (path === '/v1/client') {
    res.setHeader('set-cookie', [
      `__client=abc; Path=/; Expires=${SECRET_COOKIE_EXPIRES}; HttpOnly; Secure; SameSite=Lax`,
      `__client_uat=0; Path=/; Expires=${SECRET_COOKIE_EXPIRES}; SameSite=Lax`,
    ])
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ response: null, client: null }))
    return true
  }
  return false
}

beforeAll(async () => {
  fapi = await startFapiStandIn()
  fapi.routes.push(realisticFapi)
  // The instance: one domain, one secret key; proxy-health follows FAPI's spec.
  fapi.proxyHealth.domainIds.push(DOMAIN_ID)
  fapi.proxyHealth.secretKey = SECRET
  proxy = await serve({ port: 0, host: '127.0.0.1', secretKey: SECRET, fapiUrl: fapi.url, log: 'off', handleSignals: false })
})
afterAll(async () => {
  await proxy?.shutdown(100)
  await fapi?.close()
})

const statusOf = (report: DoctorReport): Record<string, string> => Object.fromEntries(report.checks.map((c) => [c.id, c.status]))

function bufferIo(env: Record<string, string | undefined> = {}): CommandIo & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env,
    out: () => out,
    err: () => err,
  }
}

describe('doctor against clerk-proxy on Node', () => {
  it('passes every check and reports the script size on the wire', async () => {
    const report = await runDoctor({ url: `${proxy.url}/__clerk`, secretKey: SECRET, domainId: DOMAIN_ID })
    expect(statusOf(report)).toEqual({
      https: 'pass',
      prefix: 'pass',
      'domain-id': 'pass',
      'outside-prefix': 'pass',
      'proxy-health': 'pass',
      'proxy-url': 'skip',
      'client-ip': 'pass',
      'forged-forwarded-for': 'pass',
      environment: 'pass',
      'clerk-js': 'pass',
      'secret-key': 'pass',
      'set-cookie': 'pass',
    })
    expect(report.ok).toBe(true)
    const script = report.checks.find((c) => c.id === 'clerk-js')!
    expect(script.detail).toMatch(/^200, br, \d+ k?B on the wire \(1\.4 MB decoded\) in \d+ ms$/)
    expect(report.checks.find((c) => c.id === 'set-cookie')!.detail).toContain('2 Set-Cookie headers on /__clerk/v1/client')
    // The doctor went through the proxy: FAPI saw the script request with the proxy's headers.
    const seen = await fapi.waitFor((r) => r.url.startsWith('/npm/@clerk/clerk-js@6/'))
    expect(seen.headers['clerk-proxy-url']).toBeDefined()
  })

  it('compares with --expect-ip and fails when Clerk sees another address', async () => {
    const wrong = await runDoctor({ url: `${proxy.url}/__clerk`, domainId: DOMAIN_ID, expectIp: '198.51.100.4' })
    expect(statusOf(wrong)['client-ip']).toBe('fail')
    expect(wrong.checks.find((c) => c.id === 'client-ip')!.detail).toBe('FAPI saw 127.0.0.1, but you are 198.51.100.4')
    expect(wrong.ok).toBe(false)
    const right = await runDoctor({ url: `${proxy.url}/__clerk`, domainId: DOMAIN_ID, expectIp: '127.0.0.1' })
    expect(statusOf(right)['client-ip']).toBe('pass')
  })

  it('prints a checklist with progress on stderr, or JSON alone with --json', async () => {
    const io = bufferIo({ CLERK_SECRET_KEY: SECRET, CLERK_DOMAIN_ID: DOMAIN_ID, CLERK_PROXY_URL: `${proxy.url}/__clerk` })
    expect(await doctorCommand([], io)).toBe(0)
    expect(io.out()).toContain('PASS  Clerk reports the proxy healthy (/v1/proxy-health)')
    expect(io.out()).toContain('12 checks: 12 passed, 0 warnings, 0 failed, 0 skipped.')
    expect(io.out()).toContain('The proxy is ready.')
    expect(io.err()).toContain(`… health check: GET ${proxy.url}/__clerk/v1/proxy-health?domain_id=${DOMAIN_ID}`)

    const json = bufferIo()
    expect(await doctorCommand([`${proxy.url}/__clerk`, '--json', '--domain-id', DOMAIN_ID], json)).toBe(0)
    expect(json.err()).toBe('')
    const parsed = JSON.parse(json.out()) as DoctorReport
    expect(parsed.ok).toBe(true)
    expect(parsed.checks).toHaveLength(12)
  })

  it('fails the prefix check when the URL is not where the proxy is mounted', async () => {
    const report = await runDoctor({ url: `${proxy.url}/wrong-prefix` })
    expect(statusOf(report).prefix).toBe('fail')
    expect(report.checks.find((c) => c.id === 'prefix')!.fix).toContain('Route /wrong-prefix/*')
  })

  it('fails every network check cleanly when nothing listens', async () => {
    const closed = await startBrokenProxy({ fapiUrl: fapi.url, secretKey: SECRET, breakage: 'none' })
    const url = closed.url
    await closed.close()
    const io = bufferIo()
    expect(await doctorCommand([url], io)).toBe(1)
    expect(io.out()).toMatch(/FAIL {2}The prefix answers\n.*\/__clerk\/v1\/environment: no answer \(.*ECONNREFUSED/)
    expect(io.out()).toContain('SKIP  Clerk reports the proxy healthy (/v1/proxy-health)\n        the proxy did not answer')
  })

  it('answers usage mistakes with exit code 2', async () => {
    const io = bufferIo()
    expect(await doctorCommand([], io)).toBe(2)
    expect(io.err()).toContain('give the public proxy URL')
    expect(await doctorCommand(['ftp://x'], bufferIo())).toBe(2)
    expect(await doctorCommand(['https://x.example/__clerk', '--expect-ip', 'nope'], bufferIo())).toBe(2)
    const help = bufferIo()
    expect(await doctorCommand(['--help'], help)).toBe(0)
    expect(help.out()).toContain('clerk-proxy doctor <public proxy URL>')
  })
})

describe('doctor against broken proxies', () => {
  const cases: [Breakage, string, RegExp][] = [
    ['trusts-forwarded-for', 'forged-forwarded-for', /made FAPI see 203\.0\.113\.\d+/],
    ['private-client-ip', 'client-ip', /FAPI saw 10\.0\.0\.7, but the caller is this machine/],
    ['merges-set-cookie', 'set-cookie', /2 cookies in one Set-Cookie line on \/__clerk\/v1\/client/],
    ['decodes-keeps-encoding', 'clerk-js', /Content-Encoding: br, but the body is not valid br/],
    ['strips-encoding', 'clerk-js', /arrived compressed but without Content-Encoding/],
    ['double-encodes', 'clerk-js', /still binary: it was compressed twice/],
    ['leaks-secret', 'secret-key', /header x-debug-upstream-key on \/__clerk\/v1\/environment/],
    ['no-prefix-boundary', 'outside-prefix', /^\/v1\/environment reached Clerk's Frontend API$/],
    ['no-secret-header', 'proxy-health', /^200 unhealthy for domain dmn_doctorTest: missing or invalid Clerk-Secret-Key$/],
    ['localhost-proxy-url', 'proxy-url', /^the proxy sends Clerk-Proxy-Url: http:\/\/localhost:\d+\/__clerk, but browsers reach it at http:\/\/127\.0\.0\.1:\d+\/__clerk$/],
  ]
  for (const [breakage, failing, detail] of cases) {
    it(`catches a proxy that ${breakage.replaceAll('-', ' ')}`, async () => {
      const bad = await startBrokenProxy({ fapiUrl: fapi.url, secretKey: SECRET, breakage })
      try {
        const report = await runDoctor({ url: bad.url, secretKey: SECRET, domainId: DOMAIN_ID })
        const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id)
        // Only the check aimed at this mistake fails (a proxy-health failure also hides the script check's cause).
        expect(failed).toEqual([failing])
        const check = report.checks.find((c) => c.id === failing)!
        expect(check.detail).toMatch(detail)
        expect(check.fix).toBeTruthy()
        expect(report.ok).toBe(false)
        expect(JSON.stringify(report)).not.toContain(SECRET)
      } finally {
        await bad.close()
      }
    })
  }

  it('passes the harness proxy that breaks nothing (so the failures above are the breakages)', async () => {
    const good = await startBrokenProxy({ fapiUrl: fapi.url, secretKey: SECRET, breakage: 'none' })
    try {
      const report = await runDoctor({ url: good.url, secretKey: SECRET, domainId: DOMAIN_ID, appProxyUrl: { value: good.url, source: '--app-proxy-url' } })
      expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([])
    } finally {
      await good.close()
    }
  })

  it('finds a leaked key by its sk_live_ shape even without CLERK_SECRET_KEY locally', async () => {
    const bad = await startBrokenProxy({ fapiUrl: fapi.url, secretKey: SECRET, breakage: 'leaks-secret' })
    try {
      const io = bufferIo()
      expect(await doctorCommand([bad.url], io)).toBe(1)
      expect(io.out()).toContain('FAIL  No response leaks the secret key')
      expect(io.out() + io.err()).not.toContain(SECRET)
    } finally {
      await bad.close()
    }
  })
})
