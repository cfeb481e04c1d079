// A bare Node proxy (node:http server, no Hono) whose only variable is the upstream transport,
// so the transports can be compared with everything else equal. TRANSPORT picks one of
// `undici-request`, `undici-dispatch`, `http-agent`, `fetch`. Reads PORT and CLERK_FAPI_URL.
// Request headers go through the package's own `upstreamRequestHeaderList` for every transport.
import { Agent, createServer, request as httpRequest } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import { Pool } from 'undici'
import { DROPPED_RESPONSE_HEADERS, upstreamRequestHeaderList } from '../../dist/src/headers.js'

const env = process.env
const origin = env.CLERK_FAPI_URL ?? 'http://127.0.0.1:8080'
const port = Number(env.PORT ?? 3000)
const prefix = '/__clerk'
const own = { proxyUrl: `http://127.0.0.1:${port}${prefix}`, secretKey: env.CLERK_SECRET_KEY ?? 'sk_live_x', clientIp: undefined }
const noop = () => {}

const requestHeaders = (req) => upstreamRequestHeaderList(req.rawHeaders, { ...own, clientIp: req.socket.remoteAddress })
const hasBody = (req) => req.method !== 'GET' && req.method !== 'HEAD' && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
const fail = (res) => {
  if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' })
  res.end('{"errors":[{"code":"proxy_request_failed"}]}')
}

/** Upstream response headers as a flat [name, value, …] list without hop-by-hop ones. */
function responseList(pairs) {
  const out = []
  for (let i = 0; i < pairs.length; i += 2) {
    const name = String(pairs[i]).toLowerCase()
    if (!DROPPED_RESPONSE_HEADERS.has(name)) out.push(name, String(pairs[i + 1]))
  }
  return out
}
function objectToList(headers) {
  const flat = []
  for (const name in headers) {
    const value = headers[name]
    if (Array.isArray(value)) for (const v of value) flat.push(name, v)
    else if (value !== undefined) flat.push(name, value)
  }
  return responseList(flat)
}

const transports = {
  'undici-request'() {
    const pool = new Pool(origin, { pipelining: 1, keepAliveTimeout: 30_000 })
    return async (req, res) => {
      try {
        const up = await pool.request({ path: req.url.slice(prefix.length), method: req.method, headers: requestHeaders(req), body: hasBody(req) ? req : null })
        res.writeHead(up.statusCode, objectToList(up.headers))
        pipeline(up.body, res, noop)
      } catch {
        fail(res)
      }
    }
  },
  'undici-dispatch'() {
    const pool = new Pool(origin, { pipelining: 1, keepAliveTimeout: 30_000 })
    return (req, res) => {
      let resume
      res.on('drain', () => resume?.())
      pool.dispatch(
        { path: req.url.slice(prefix.length), method: req.method, headers: requestHeaders(req), body: hasBody(req) ? req : null },
        {
          onConnect: noop,
          onHeaders(status, raw, resumeRead) {
            resume = resumeRead
            res.writeHead(status, responseList(raw.map((b) => b.toString('latin1'))))
            return true
          },
          onData: (chunk) => res.write(chunk),
          onComplete: () => res.end(),
          onError: () => fail(res),
        },
      )
    }
  },
  'http-agent'() {
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 30_000 })
    const { hostname, port: upstreamPort } = new URL(origin)
    return (req, res) => {
      const up = httpRequest({ host: hostname, port: upstreamPort, path: req.url.slice(prefix.length), method: req.method, headers: requestHeaders(req), agent }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, responseList(upRes.rawHeaders))
        pipeline(upRes, res, noop)
      })
      up.on('error', () => fail(res))
      if (hasBody(req)) pipeline(req, up, noop)
      else up.end()
    }
  },
  fetch() {
    return async (req, res) => {
      try {
        const list = requestHeaders(req)
        const headers = new Headers()
        for (let i = 0; i < list.length; i += 2) headers.append(list[i], list[i + 1])
        const body = hasBody(req) ? Readable.toWeb(req) : undefined
        const up = await fetch(origin + req.url.slice(prefix.length), { method: req.method, headers, body, duplex: 'half', redirect: 'manual' })
        const flat = []
        up.headers.forEach((value, name) => flat.push(name, value))
        res.writeHead(up.status, responseList(flat))
        if (up.body) pipeline(Readable.fromWeb(up.body), res, noop)
        else res.end()
      } catch {
        fail(res)
      }
    }
  },
}

const make = transports[env.TRANSPORT ?? 'undici-request']
if (!make) throw new Error(`unknown TRANSPORT ${env.TRANSPORT}; one of ${Object.keys(transports).join(', ')}`)
const handle = make()
createServer((req, res) => void handle(req, res)).listen(port, '127.0.0.1', () => process.stdout.write(`bare ${env.TRANSPORT} proxy on ${port}\n`))
process.on('SIGTERM', () => process.exit(0))
