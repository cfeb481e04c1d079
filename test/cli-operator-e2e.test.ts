/**
 * The operator commands as a user runs them: `node bin/clerk-proxy.js …` as real processes
 * (built by `npm run build`), against a proxy also started through the CLI (`serve`), the FAPI
 * stand-in and the Backend API stand-in. stdin is a pipe, not a terminal: nothing may prompt.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackendApiStandIn, type BackendApiStandIn } from './support/backend-api-stand-in.ts'
import { startBrokenProxy } from './support/broken-proxy.ts'
import { startFapiStandIn, type FapiStandIn } from './support/fapi-stand-in.ts'

const SECRET = 'sk_live_e2eOperatorSecret0123456789abcdef'
const BIN = fileURLToPath(new URL('../bin/clerk-proxy.js', import.meta.url))

let fapi: FapiStandIn
let server: ChildProcess
let proxyUrl: string
let workDir: string
const printed: string[] = []

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI in an empty folder with only the given variables (plus PATH). */
function run(args: string[], env: Record<string, string> = {}, cwd = workDir): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.stdin.end()
    child.on('error', reject)
    child.on('close', (code) => {
      printed.push(stdout, stderr)
      resolve({ code, stdout, stderr })
    })
  })
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'clerk-proxy-e2e-'))
  fapi = await startFapiStandIn()
  // The proxy itself, started the way the README says, through the `serve` subcommand.
  server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--fapi-url', fapi.url, '--log', 'json'], {
    cwd: workDir,
    env: { PATH: process.env['PATH'] ?? '', CLERK_SECRET_KEY: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const origin = await new Promise<string>((resolve, reject) => {
    let seen = ''
    const onData = (c: Buffer): void => {
      seen += c.toString()
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(seen)
      if (match) resolve(match[1]!)
    }
    server.stdout!.on('data', onData)
    server.stderr!.on('data', onData)
    server.on('exit', (code) => reject(new Error(`clerk-proxy serve exited with ${code}: ${seen}`)))
  })
  proxyUrl = `${origin}/__clerk`
})
afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
  }
  await fapi?.close()
  rmSync(workDir, { recursive: true, force: true })
  expect(printed.length).toBeGreaterThan(10)
  for (const text of printed) expect(text).not.toContain(SECRET)
})

describe('clerk-proxy doctor (process)', () => {
  it('passes against clerk-proxy serve, with progress on stderr, exit 0', async () => {
    const r = await run(['doctor', proxyUrl, '--domain-id', 'dmn_e2e', '--app-proxy-url', proxyUrl], { CLERK_SECRET_KEY: SECRET })
    expect(r.stdout).toContain('12 checks: 11 passed, 0 warnings, 0 failed, 1 skipped.')
    expect(r.stdout).toContain('PASS  Clerk reports the proxy healthy (/v1/proxy-health)\n        status: healthy for domain dmn_e2e')
    expect(r.stdout).toMatch(/PASS {2}clerk-js script decodes \(Accept-Encoding: gzip, br\)\n {8}200, br, /)
    expect(r.stderr).toContain('… clerk-js script: GET ')
    expect(r.code).toBe(0)
  })

  it('--json prints only JSON on stdout and nothing on stderr', async () => {
    const r = await run(['doctor', proxyUrl, '--json'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect((JSON.parse(r.stdout) as { ok: boolean }).ok).toBe(true)
  })

  it('exits 1 with a fix against a proxy that believes X-Forwarded-For', async () => {
    const bad = await startBrokenProxy({ fapiUrl: fapi.url, secretKey: SECRET, breakage: 'trusts-forwarded-for' })
    try {
      const r = await run(['doctor', bad.url], { CLERK_DOMAIN_ID: 'dmn_e2e' })
      expect(r.code).toBe(1)
      expect(r.stdout).toContain('FAIL  A forged X-Forwarded-For does not change what Clerk sees')
      expect(r.stdout).toContain('fix: The proxy believes the client')
    } finally {
      await bad.close()
    }
  })

  it('shows help for every command', async () => {
    const top = await run(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('clerk-proxy doctor <proxy URL>')
    for (const command of ['doctor', 'enable', 'disable']) {
      const r = await run([command, '--help'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`clerk-proxy ${command}`)
    }
    const bad = await run(['doctor', '--nope'])
    expect(bad.code).toBe(2)
    const typo = await run(['docter', 'https://app.example.com/__clerk'])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('unknown command "docter"')
  })
})

describe('clerk-proxy doctor over HTTPS (process)', () => {
  const cert = fileURLToPath(new URL('./fixtures/tls-localhost.crt', import.meta.url))
  const key = fileURLToPath(new URL('./fixtures/tls-localhost.key', import.meta.url))

  /** A TLS-terminating load balancer in front of the proxy that appends the peer to X-Forwarded-For. */
  async function startTlsFront(target: string): Promise<{ url: string; close(): Promise<void> }> {
    const server = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
      const forwarded = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ')
      const upstream = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, 'x-forwarded-for': forwarded, 'x-forwarded-proto': 'https' } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      })
      upstream.on('error', () => res.destroy())
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return {
      url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/__clerk`,
      close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
    }
  }

  it('passes through a TLS front end, and explains an untrusted certificate', async () => {
    const front = await startTlsFront(proxyUrl)
    try {
      const trusted = await run(['doctor', front.url, '--json'], { NODE_EXTRA_CA_CERTS: cert })
      const report = JSON.parse(trusted.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string }[] }
      expect(report.checks.find((c) => c.id === 'https')).toMatchObject({ status: 'pass', detail: new URL(front.url).origin })
      expect(report.checks.find((c) => c.id === 'clerk-js')?.status).toBe('pass')
      expect(report.ok).toBe(true)
      expect(trusted.code).toBe(0)

      const untrusted = await run(['doctor', front.url])
      expect(untrusted.code).toBe(1)
      expect(untrusted.stdout).toMatch(/FAIL {2}The prefix answers\n.*no answer \(.*self[- ]signed certificate/)
      expect(untrusted.stdout).toContain('fix: Browsers reject this certificate too')
    } finally {
      await front.close()
    }
  })
})

describe('clerk-proxy enable / disable (process)', () => {
  let api: BackendApiStandIn
  beforeAll(async () => {
    api = await startBackendApiStandIn({
      secretKey: SECRET,
      domains: [
        { id: 'dmn_1', name: 'example.com' },
        { id: 'dmn_2', name: 'example.org' },
      ],
    })
  })
  afterAll(async () => {
    await api?.close()
  })

  it('fails with the domain list instead of prompting when stdin is not a terminal', async () => {
    const r = await run(['enable', '--proxy-url', proxyUrl, '--skip-doctor'], { CLERK_SECRET_KEY: SECRET, CLERK_API_URL: api.url })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('1) example.com (dmn_1, primary, no proxy)')
    expect(api.requests.some((q) => q.method === 'PATCH')).toBe(false)
  })

  it('enables with doctor first, reading CLERK_SECRET_KEY and CLERK_API_URL from .env', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clerk-proxy-env-'))
    try {
      writeFileSync(join(dir, '.env'), `CLERK_SECRET_KEY=${SECRET}\nCLERK_API_URL=${api.url}\n`)
      const dry = await run(['enable', '--proxy-url', proxyUrl, '--domain', 'example.org', '--dry-run'], {}, dir)
      expect(dry.code).toBe(0)
      expect(dry.stdout).toContain('dry run: would send PATCH /v1/domains/dmn_2')
      expect(api.requests.some((q) => q.method === 'PATCH')).toBe(false)

      const r = await run(['enable', '--proxy-url', proxyUrl, '--domain', 'example.org'], {}, dir)
      expect(r.stdout).toContain('PASS  Clerk reports the proxy healthy')
      expect(r.stdout).toContain(`Done: example.org now uses ${proxyUrl}.`)
      expect(r.code).toBe(0)
      expect(api.domains[1]!.proxy_url).toBe(proxyUrl)

      const off = await run(['disable'], {}, dir)
      expect(off.stdout).toContain(`Done: example.org no longer uses ${proxyUrl}`)
      expect(off.code).toBe(0)
      expect(api.domains[1]!.proxy_url).toBeNull()
      expect(api.requests.filter((q) => q.method === 'PATCH').map((q) => q.body)).toEqual([{ proxy_url: proxyUrl }, { proxy_url: null }])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
