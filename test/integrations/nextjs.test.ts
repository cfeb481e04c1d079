/**
 * A real Next.js app (test/nextjs-app) built with `next build` and served by `next start`:
 * the catch-all route handlers on the Node.js runtime (/__clerk) and the Edge runtime
 * (/__clerk_edge), and the middleware helper in proxy.js (/__clerk_mw), each passing the
 * integration cases against the FAPI stand-in. The app is built once per run.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { describeIntegrationCases, SECRET, send } from './cases.ts'

const APP_DIR = fileURLToPath(new URL('../nextjs-app', import.meta.url))
const NEXT_BIN = fileURLToPath(new URL('../../node_modules/next/dist/bin/next', import.meta.url))
const PUBLIC_PROXY_URL = 'https://app.example.test/__clerk'
const VERCEL_CLIENT_IP = '198.51.100.9'

let fapi: FapiStandIn
let next: ChildProcess | undefined
let baseUrl = ''
let output = ''

function run(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [NEXT_BIN, ...args], {
    cwd: APP_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return child
}

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
  return port
}

beforeAll(async () => {
  fapi = await startFapiStandIn()
  const build = run(['build'], { NODE_ENV: 'production' })
  const code = await new Promise<number | null>((resolve) => build.on('exit', resolve))
  if (code !== 0) throw new Error(`next build failed (${code}):\n${output}`)

  const port = await freePort()
  next = run(['start', '-p', String(port), '-H', '127.0.0.1'], {
    NODE_ENV: 'production',
    CLERK_SECRET_KEY: SECRET,
    CLERK_FAPI_URL: fapi.url,
    // The variable a Next.js app already has for Clerk's SDK doubles as the proxy's public URL.
    NEXT_PUBLIC_CLERK_PROXY_URL: PUBLIC_PROXY_URL,
  })
  baseUrl = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      if ((await send(`${baseUrl}/`)).status === 200) break
    } catch {
      // not listening yet
    }
    if (next.exitCode !== null || Date.now() > deadline) throw new Error(`next start did not come up:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}, 240_000)

afterAll(async () => {
  if (next?.pid !== undefined && next.exitCode === null) {
    const exited = new Promise((resolve) => next!.once('exit', resolve))
    process.kill(-next.pid, 'SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
    if (next.exitCode === null) process.kill(-next.pid, 'SIGKILL')
  }
  await fapi?.close()
  expect(output).not.toContain(SECRET)
})

const common = { baseUrl: () => baseUrl, fapi: () => fapi, expectedProxyUrl: () => PUBLIC_PROXY_URL, encoding: 'decoded' } as const

// next start writes the socket address into X-Forwarded-For only when the request has none and
// keeps a received chain as is: the rightmost entry is the nearest peer's report.
describeIntegrationCases({
  ...common,
  name: 'next.js route handlers, Node.js runtime',
  prefix: '/__clerk',
  clientIp: '127.0.0.1',
  spoofedForwardedFor: { send: '6.6.6.6, 203.0.113.7', expect: '203.0.113.7' },
  appRoute: { path: '/', contains: 'home page served by the app' },
})

describeIntegrationCases({
  ...common,
  name: 'next.js route handlers, Edge runtime (Vercel client IP)',
  prefix: '/__clerk_edge',
  platformHeaders: { 'x-real-ip': VERCEL_CLIENT_IP },
  clientIp: VERCEL_CLIENT_IP,
  spoofedForwardedFor: { send: '6.6.6.6', expect: VERCEL_CLIENT_IP },
})

describeIntegrationCases({
  ...common,
  name: 'next.js middleware helper (proxy.js)',
  prefix: '/__clerk_mw',
  clientIp: '127.0.0.1',
  spoofedForwardedFor: { send: '6.6.6.6, 203.0.113.7', expect: '203.0.113.7' },
  appRoute: { path: '/', contains: 'home page served by the app' },
})

describe('next.js specifics', () => {
  test('the wrapped middleware still runs for the app, not for the proxy prefix', async () => {
    expect((await send(`${baseUrl}/`)).headers['x-inner-middleware']).toBe('ran')
    expect((await send(`${baseUrl}/__clerk_mw/v1/environment`)).headers['x-inner-middleware']).toBeUndefined()
  })

  test('the Edge runtime query reaches Clerk without the catch-all params Next.js appends', async () => {
    const res = await send(`${baseUrl}/__clerk_edge/v1/client/sessions?_clerk_js_version=5.0.0&x=edge1`, { headers: { 'x-real-ip': VERCEL_CLIENT_IP } })
    expect(res.status).toBe(404) // the stand-in has no such route; the request is what matters
    const upstream = await fapi.waitFor((r) => r.url.includes('x=edge1'))
    expect(upstream.url).toBe('/v1/client/sessions?_clerk_js_version=5.0.0&x=edge1')
  })

  test('the Node.js runtime query reaches Clerk exactly', async () => {
    await send(`${baseUrl}/__clerk/v1/client?path=v1&redirect_url=https%3A%2F%2Fa.example%2F%3Fb%3D1&x=node1`)
    const upstream = await fapi.waitFor((r) => r.url.includes('x=node1'))
    expect(upstream.url).toBe('/v1/client?path=v1&redirect_url=https%3A%2F%2Fa.example%2F%3Fb%3D1&x=node1')
  })

  test('app folders named "__x" are private in the App Router: the route folder must be %5F%5Fclerk', async () => {
    expect((await send(`${baseUrl}/__clerk_private/v1/environment`)).status).toBe(404)
  })

  test('documents next start: a lone client-sent X-Forwarded-For is kept by Next.js itself', async () => {
    // Next.js's server sets x-forwarded-for only when absent (base-server `??=`), so without a
    // proxy in front that overwrites it, the single entry is whatever the client sent. The README
    // says to run next start behind such a proxy (or on Vercel). If Next.js ever starts
    // overwriting it, this test fails and the README can drop the caveat.
    await send(`${baseUrl}/__clerk/v1/client?x=lone1`, { headers: { 'x-forwarded-for': '6.6.6.6' } })
    const upstream = await fapi.waitFor((r) => r.url.includes('x=lone1'))
    expect(upstream.headers['x-forwarded-for']).toBe('6.6.6.6')
  })
})
