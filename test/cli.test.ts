import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from './support/fapi-stand-in.ts'
import { sendRaw } from './support/http-client.ts'

const BIN = resolve(import.meta.dirname, '../bin/clerk-proxy.js')
const SECRET = 'sk_live_cliTestSecretValue1122334455'

interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI with exactly this environment (plus PATH) and collects its output. */
function runCli(args: string[], env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'clerk-proxy-cli-'))): Promise<Finished> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })
}

/** Starts the CLI as a server and resolves once it prints where it listens. */
function startCli(args: string[], env: Record<string, string>, cwd?: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, '--port', '0', '--host', '127.0.0.1', ...args], {
      cwd: cwd ?? mkdtempSync(join(tmpdir(), 'clerk-proxy-cli-')),
      env: { PATH: process.env['PATH'] ?? '', ...env },
    })
    let output = ''
    const timer = setTimeout(() => reject(new Error(`CLI did not start:\n${output}`)), 60_000)
    const onData = (c: Buffer): void => {
      output += c.toString()
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolvePromise({ child, url: match[1]!, output: () => output })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => reject(new Error(`CLI exited with ${code}:\n${output}`)))
  })
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))))
}

let fapi: FapiStandIn
beforeAll(async () => {
  fapi = await startFapiStandIn()
})
afterAll(async () => {
  await fapi.close()
})

describe('clerk-proxy start-up failures', () => {
  test('without CLERK_SECRET_KEY it exits 1 and names the variable', async () => {
    const run = await runCli([], {})
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('CLERK_SECRET_KEY is required')
    expect(run.stdout).toBe('')
  })

  test('a malformed URL or secret exits 1 naming each variable, never printing the secret', async () => {
    const badSecret = 'sk_live_thisHas a space and must never be printed'
    const run = await runCli([], { CLERK_SECRET_KEY: badSecret, CLERK_FAPI_URL: 'not-a-url', CLERK_PROXY_URL: 'ftp://app.example.com/__clerk' })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('CLERK_SECRET_KEY must be a Clerk secret key')
    expect(run.stderr).toContain('CLERK_FAPI_URL must be an absolute URL')
    expect(run.stderr).toContain('CLERK_PROXY_URL must use https://')
    expect(run.stderr + run.stdout).not.toContain('never be printed')
  })

  test('a bad flag exits 2 with a hint', async () => {
    const run = await runCli(['--log', 'loud'], { CLERK_SECRET_KEY: SECRET })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--log must be one of pretty, json, off')
    expect(run.stderr).toContain('clerk-proxy --help')
  })

  test('--help documents every flag and --version prints the package version', async () => {
    const help = await runCli(['--help'], {})
    expect(help.code).toBe(0)
    for (const flag of ['--port', '--host', '--path', '--proxy-url', '--fapi-url', '--trust-proxy', '--timeout', '--log', '--env-file']) {
      expect(help.stdout).toContain(flag)
    }
    const version = await runCli(['--version'], {})
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('clerk-proxy serving', () => {
  test('prints where it listens, the FAPI and the public proxy URL, never the secret; logs requests without queries; exits 0 on SIGTERM', async () => {
    const proxyUrl = 'https://app.example.com/__clerk'
    const cli = await startCli([], { CLERK_SECRET_KEY: SECRET, CLERK_PROXY_URL: proxyUrl, CLERK_FAPI_URL: fapi.url })
    expect(cli.output()).toContain(`fapi=${fapi.url}`)
    expect(cli.output()).toContain(`proxyUrl=${proxyUrl}`)
    const res = await sendRaw(cli.url, { target: '/__clerk/v1/environment?__clerk_db_jwt=dvb_querysecret' })
    expect(res.status).toBe(200)
    await expect.poll(() => cli.output()).toContain('GET /__clerk/v1/environment 200')
    cli.child.kill('SIGTERM')
    expect(await exited(cli.child)).toBe(0)
    expect(cli.output()).not.toContain(SECRET)
    expect(cli.output()).not.toContain('dvb_querysecret')
  })

  test('flags override the environment and a .env file fills in what the environment lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clerk-proxy-env-'))
    writeFileSync(join(dir, '.env'), `CLERK_SECRET_KEY=${SECRET}\nCLERK_FAPI_URL=http://127.0.0.1:1\nCLERK_PROXY_PATH=/from-env\n`)
    const cli = await startCli(['--fapi-url', fapi.url, '--path', '/auth', '--log', 'json'], {}, dir)
    try {
      const res = await sendRaw(cli.url, { target: '/auth/v1/client' })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body.toString())).toEqual({ response: null, client: null })
      expect((await sendRaw(cli.url, { target: '/from-env/v1/client' })).status).toBe(404)
      await expect.poll(() => cli.output()).toContain('"path":"/auth/v1/client"')
    } finally {
      cli.child.kill('SIGTERM')
      await exited(cli.child)
    }
  })

  test('a second signal during shutdown exits at once', async () => {
    const cli = await startCli([], { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url })
    const held = sendRaw(cli.url, { target: '/__clerk/hold' }).catch(() => undefined)
    await fapi.waitFor((r) => r.url === '/hold' && !r.completed)
    cli.child.kill('SIGTERM')
    await expect.poll(() => cli.output()).toContain('shutting down')
    cli.child.kill('SIGINT')
    expect(await exited(cli.child)).toBe(1)
    fapi.release()
    await held
  })
})
