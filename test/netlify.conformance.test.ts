/**
 * Netlify Edge in Netlify's own emulator (`@netlify/edge-functions-dev`, which runs the
 * function in Deno with Netlify's bootstrap). The test plays Netlify's CDN: it turns each
 * client request into a `Request`, asks the emulator whether an Edge Function matches, and
 * otherwise answers as the site (404).
 */
import { EdgeFunctionsHandler } from '@netlify/edge-functions-dev'
import { randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { vi } from 'vitest'
import { describeConformance, type RunningTarget } from './conformance/suite.ts'
import { bundle } from './support/bundle.ts'
import { sendRaw } from './support/http-client.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
// The emulator runs the `deno` on PATH: the pinned one from node_modules.
process.env.PATH = `${root}node_modules/.bin:${process.env.PATH ?? ''}`

// The function file a user copies (examples/netlify), bundled as Netlify's bundler would.
const functionsDir = `${root}node_modules/.cache/conformance/netlify-edge-functions`
const functionFile = bundle(
  'netlify-clerk-proxy.js',
  `export { default, config } from './examples/netlify/netlify/edge-functions/clerk-proxy.ts'`,
  'esm',
).then(({ code }) => {
  mkdirSync(functionsDir, { recursive: true })
  writeFileSync(`${functionsDir}/clerk-proxy.js`, code)
  // A second Edge Function that calls the same handler inside the emulator and reports the
  // Set-Cookies of the handler's own Response, to tell the proxy's output from the emulator's.
  writeFileSync(`${functionsDir}/cookie-probe.js`, COOKIE_PROBE)
})

const COOKIE_PROBE = `import handler from './clerk-proxy.js'
export default async (request, context) => {
  const url = new URL(request.url)
  url.pathname = url.pathname.replace(/^\\/__probe/, '/__clerk')
  const response = await handler(new Request(url, request), context)
  return Response.json({ status: response.status, setCookies: response.headers.getSetCookie() })
}
export const config = { path: '/__probe/*' }
`

/** The Set-Cookies of the proxy's own Response for `target`, read inside the emulator. */
async function handlerSetCookies(baseUrl: string, target: string): Promise<string[]> {
  const res = await sendRaw(baseUrl, { target: target.replace(/^\/__clerk/, '/__probe') })
  const report = JSON.parse(res.body.toString()) as { status: number; setCookies: string[] }
  return report.setCookies
}

const silent = { log() {}, warn() {}, error() {} }

async function startNetlify(env: Record<string, string>): Promise<RunningTarget> {
  await functionFile
  const edge = new EdgeFunctionsHandler({
    configDeclarations: [],
    directories: [functionsDir],
    env: { ...env, DENO_DIR: `${root}.deno`, HOME: process.env.HOME ?? root },
    geolocation: { city: 'Test', country: { code: 'XX', name: 'Test' }, subdivision: { code: 'T', name: 'Test' }, timezone: 'UTC', latitude: 0, longitude: 0 },
    logger: silent as never,
  })
  let origin = ''
  const server = createServer((req, res) => void cdn(edge, origin, req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  // The emulator names the site `localhost:<port>` (x-forwarded-host), so the site is addressed so.
  origin = `http://localhost:${(server.address() as AddressInfo).port}`
  // Boot the Deno side now, not on the first request.
  await edge.match(new Request(`${origin}/__clerk/__warmup`, { headers: { 'x-nf-request-id': randomUUID() } }))
  return {
    baseUrl: origin,
    async stop() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await edge.stop()
    },
  }
}

/** What Netlify's CDN does with one request: the Edge Function when it matches, else the site. */
async function cdn(edge: EdgeFunctionsHandler, origin: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const controller = new AbortController()
  res.on('close', () => {
    if (!res.writableFinished) controller.abort()
  })
  try {
    // A CDN ends the client's connection: hop-by-hop headers never reach the function.
    const hopByHop = new Set(['connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade', 'proxy-connection', 'trailer'])
    for (const token of (req.headers.connection ?? '').split(',')) hopByHop.add(token.trim().toLowerCase())
    const headers = new Headers()
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!hopByHop.has(req.rawHeaders[i]!.toLowerCase())) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
    }
    headers.set('x-nf-request-id', randomUUID())
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const request = new Request(new URL(req.url ?? '/', origin), {
      method: req.method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream) : null,
      signal: controller.signal,
      // A CDN hands redirects to the browser.
      redirect: 'manual',
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit)
    const match = await edge.match(request)
    if (!match) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found')
      return
    }
    const response = await match.handle(request, origin)
    const out: [string, string][] = []
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') out.push([name, value])
    })
    for (const cookie of response.headers.getSetCookie()) out.push(['set-cookie', cookie])
    res.writeHead(response.status, out.flat())
    if (!response.body || req.method === 'HEAD') return void res.end()
    Readable.fromWeb(response.body as never).on('error', () => res.destroy()).pipe(res)
  } catch (error) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
    res.end(String(error))
  }
}

// Each request crosses an emulator (slow on a shared machine): more room than the default.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 120_000 })

describeConformance({
  name: 'netlify-edge',
  start: startNetlify,
  // The emulator stamps the connection address (127.0.0.1) as Netlify's edge does the client's.
  expectedClientIp: '127.0.0.1',
  // The emulator keeps only the last Set-Cookie of a response (Netlify's edge keeps them all);
  // the probe function shows the proxy's own Response carries every one.
  handlerSetCookies,
  encoding: 'decoded',
  // The emulator does not abort the function's request.signal when the client goes away
  // (plain Deno.serve does: see the Deno run), so the timeout bounds the upstream request.
  propagatesAbort: false,
  // The emulator sends the request body on with Node's fetch, which fails when the function
  // answers a declared length over the limit before reading it (the 413 is lost to a 502).
  relaysEarlyAnswers: false,
  // The function file's config.path routes /__clerk and /__clerk/* to it; Netlify's CDN answers the rest.
  routedPrefix: '/__clerk',
})
