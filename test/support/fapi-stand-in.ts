/**
 * A local server standing in for Clerk's Frontend API. It records every request it receives
 * and, by path, answers the way a test needs: JSON, several Set-Cookies, gzip, redirects, slow
 * or streamed bodies, hang-ups, any status. Reused by every suite (unit, conformance, browser).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { constants as http2Constants, createSecureServer, type Http2Session, type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import { brotliCompressSync, gzipSync } from 'node:zlib'

/** One request as the stand-in received it. */
export interface RecordedRequest {
  readonly method: string
  /** The raw request target, exactly as sent on the wire. */
  readonly url: string
  /** Lower-cased header names; repeated headers as arrays. */
  readonly headers: Record<string, string | string[] | undefined>
  /** Header names and values as sent, in order. */
  readonly rawHeaders: readonly string[]
  readonly remoteAddress: string | undefined
  /** The client-side port of the connection it came on (which of the proxy's upstream connections carried it). */
  readonly remotePort: number | undefined
  /** Body length and SHA-256, filled in when the body has been read. */
  bodyLength: number
  bodySha256: string | undefined
  /** The body as text (first 64 KiB), for small form posts. */
  bodyText: string
  /** True when the client went away before the response finished. */
  aborted: boolean
  /**
   * True when the stand-in cut the connection itself because the client stopped reading the
   * answer for {@link STALLED_WRITE_MS} (as Clerk's edge drops a peer that stalls a response):
   * the client neither read nor cancelled it. Not counted as `aborted`.
   */
  cutOff: boolean
  /** True when the response finished normally. */
  completed: boolean
}

/**
 * How `/v1/proxy-health` judges a probe, following FAPI's OpenAPI spec (`getProxyHealth`): the
 * query parameter `domain_id` is required (`400` without it, or for a domain the instance does
 * not have); the proxy's three headers decide `healthy` or `unhealthy`; `503` when FAPI cannot
 * vouch for the proxy. Tests change these fields to model an instance.
 */
export interface ProxyHealthRules {
  /** The instance's domain ids; another `domain_id` gets 400. Empty: any id is the instance's. */
  domainIds: string[]
  /** The instance's secret key; when set, another `Clerk-Secret-Key` (or none) is unhealthy. */
  secretKey: string | undefined
  /** When set, answers `503 {"status":"unhealthy","message": …}`. */
  unavailable: string | undefined
}

/**
 * How long an answer may sit unsent because the client reads none of it before the stand-in
 * cuts the connection, as Clerk's edge (Cloudflare) drops a peer that stops reading. Longer
 * than any pause a test's client makes on purpose.
 */
export const STALLED_WRITE_MS = 8_000

/** A running stand-in. */
export interface FapiStandIn {
  readonly url: string
  readonly port: number
  readonly requests: RecordedRequest[]
  /** Resolves with the first recorded request matching, waiting up to `timeoutMs` (20 s: generous for a loaded machine). */
  waitFor(predicate: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>
  /** Releases every response held by `/hold`. */
  release(): void
  /** Client-side ports of the open connections that have not carried a request (yet). */
  portsWithoutRequest(): number[]
  /** How `/v1/proxy-health` answers (spec-shaped); mutable. */
  readonly proxyHealth: ProxyHealthRules
  /** Extra route handlers tests may add; return true when handled. */
  readonly routes: ((req: IncomingMessage, res: ServerResponse, record: RecordedRequest) => boolean)[]
  close(): Promise<void>
}

/** A stand-in for a secret in echoes: its SHA-256, so tests can compare without seeing it. */
export function fingerprint(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  return 'sha256:' + createHash('sha256').update(Array.isArray(value) ? value.join('\n') : value).digest('hex')
}

/** The clerk-js browser bundle (a dev dependency): a real asset, for compression ratios. */
export function realAsset(): Buffer {
  return readFileSync(fileURLToPath(new URL('../../node_modules/@clerk/clerk-js/dist/clerk.browser.js', import.meta.url)))
}

/** A deterministic, compressible JavaScript-like payload of about `size` bytes. */
export function assetPayload(size: number): Buffer {
  const line = 'export function clerkAsset(n){return n.map((x)=>x*2).filter(Boolean).join("-")}\n'
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size))
}

export const ENVIRONMENT_JSON: string = JSON.stringify({
  object: 'environment',
  id: 'env_1',
  auth_config: { object: 'auth_config', id: 'aac_1', single_session_mode: true },
  display_config: { object: 'display_config', id: 'display_config_1', instance_environment_type: 'production', application_name: 'Stand-in' },
  user_settings: { attributes: { email_address: { enabled: true, required: true, used_for_first_factor: true } } },
  organization_settings: { enabled: false },
  maintenance_mode: false,
})

export const SECRET_COOKIE_EXPIRES = 'Wed, 21 Oct 2037 07:28:00 GMT'

/** A certificate for {@link startFapiStandIn} over HTTPS (see tls-fapi-stand-in.ts, `makeCertificate`). */
export interface StandInTls {
  readonly key: Buffer
  readonly cert: Buffer
}

/** Pseudo-headers of an HTTP/2 request; `:authority` is recorded as the `host` it stands for. */
function http1View(req: IncomingMessage): { headers: RecordedRequest['headers']; rawHeaders: string[] } {
  if (req.httpVersionMajor !== 2) return { headers: { ...req.headers }, rawHeaders: [...req.rawHeaders] }
  const headers: Record<string, string | string[] | undefined> = { host: req.headers[':authority'] as string | undefined }
  for (const [name, value] of Object.entries(req.headers)) if (!name.startsWith(':')) headers[name] = value
  const rawHeaders = ['host', String(req.headers[':authority'])]
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (!req.rawHeaders[i]!.startsWith(':')) rawHeaders.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  return { headers, rawHeaders }
}

/**
 * Starts the stand-in on 127.0.0.1 with a free port: plain HTTP, or given `tls`, HTTPS offering
 * HTTP/2 and HTTP/1.1 by ALPN as Clerk's edge does (HTTP/2 requests are recorded with
 * `:authority` as `host` and no other pseudo-header).
 *
 * @example
 * const fapi = await startFapiStandIn()
 * // … point the proxy at fapi.url …
 * await fapi.close()
 */
export async function startFapiStandIn(options: { tls?: StandInTls } = {}): Promise<FapiStandIn> {
  const requests: RecordedRequest[] = []
  const waiters: { predicate: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = []
  const held: (() => void)[] = []
  const sockets = new Set<Socket>()
  const lastRequestOn = new WeakMap<Socket, RecordedRequest>()
  const routes: FapiStandIn['routes'] = []
  const asset = assetPayload(1_400_000)
  const assetGzip = gzipSync(asset)
  const assetBrotli = brotliCompressSync(asset)

  // The connection a request came on: an HTTP/2 request's `socket` is a stand-in for its stream.
  const connectionOf = (req: IncomingMessage): Socket =>
    ((req as IncomingMessage & { stream?: { session?: { socket?: Socket } } }).stream?.session?.socket ?? req.socket)
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const record: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      ...http1View(req),
      remoteAddress: req.socket.remoteAddress,
      remotePort: req.socket.remotePort,
      bodyLength: 0,
      bodySha256: undefined,
      bodyText: '',
      aborted: false,
      cutOff: false,
      completed: false,
    }
    requests.push(record)
    lastRequestOn.set(connectionOf(req), record)
    res.on('finish', () => (record.completed = true))
    // An HTTP/2 stream reset by the client still reports its response as finished: its code says it was cut.
    const stream = (req as IncomingMessage & { stream?: { rstCode?: number } }).stream
    res.on('close', () => {
      if ((!res.writableFinished || (stream?.rstCode ?? 0) !== 0) && !record.cutOff) record.aborted = true
    })
    for (const w of [...waiters]) {
      if (w.predicate(record)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(record)
      }
    }
    for (const route of routes) if (route(req, res, record)) return
    handle(req, res, record)
  }
  const server: Server = options.tls
    ? // Node's default 10 MB of buffered session data would refuse streams (ENHANCE_YOUR_CALM) once
      // a few large answers are queued at once; Clerk's edge does not.
      (createSecureServer({ key: options.tls.key, cert: options.tls.cert, allowHTTP1: true, maxSessionMemory: 256 }, onRequest as never) as unknown as Server)
    : createServer(onRequest)
  // HTTP/2 sessions with no stream open close after 5 s, as Node's HTTP/1.1 server closes an
  // idle connection after its keep-alive timeout.
  const idleSince = new Map<Http2Session, number>()
  server.on('session', (session: Http2Session) => {
    let streams = 0
    idleSince.set(session, Date.now())
    session.on('stream', (stream) => {
      streams++
      idleSince.delete(session)
      stream.on('close', () => --streams === 0 && !session.destroyed && idleSince.set(session, Date.now()))
    })
    session.on('close', () => idleSince.delete(session))
  })
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  // Cuts connections whose answer made no progress for STALLED_WRITE_MS (bytes queued, none
  // taken by the client): what was written and what is still queued both stay the same.
  const stalls = new Map<Socket, { written: number; queued: number; since: number }>()
  const stallWatch = setInterval(() => {
    const now = Date.now()
    for (const socket of sockets) {
      const seen = stalls.get(socket)
      if (socket.writableLength === 0 || socket.destroyed) stalls.delete(socket)
      else if (seen === undefined || seen.written !== socket.bytesWritten || seen.queued !== socket.writableLength)
        stalls.set(socket, { written: socket.bytesWritten, queued: socket.writableLength, since: now })
      else if (now - seen.since >= STALLED_WRITE_MS) {
        const record = lastRequestOn.get(socket)
        if (record && !record.completed) record.cutOff = true
        stalls.delete(socket)
        socket.destroy()
      }
    }
    for (const socket of stalls.keys()) if (!sockets.has(socket)) stalls.delete(socket)
    for (const [session, since] of idleSince) if (now - since >= 5_000) session.close()
  }, 500)
  stallWatch.unref()

  const readBody = (req: IncomingMessage, record: RecordedRequest): Promise<void> =>
    new Promise((resolve) => {
      const hash = createHash('sha256')
      const text: Buffer[] = []
      let textBytes = 0
      req.on('data', (chunk: Buffer) => {
        record.bodyLength += chunk.length
        hash.update(chunk)
        if (textBytes < 65536) {
          text.push(chunk)
          textBytes += chunk.length
        }
      })
      req.on('end', () => {
        record.bodySha256 = hash.digest('hex')
        record.bodyText = Buffer.concat(text).toString('utf8').slice(0, 65536)
        resolve()
      })
      req.on('error', () => resolve())
      req.on('close', () => resolve())
    })

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
    res.end(text)
  }

  const proxyHealth: ProxyHealthRules = { domainIds: [], secretKey: undefined, unavailable: undefined }
  const clerkErrors = (res: ServerResponse, status: number, code: string, message: string, longMessage: string, param: string): void =>
    json(res, status, { errors: [{ code, message, long_message: longMessage, meta: { param_name: param } }], clerk_trace_id: 'trace_standin' })

  function answerProxyHealth(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): void {
    const domainId = q.get('domain_id')
    if (!domainId) return clerkErrors(res, 400, 'form_param_missing', 'domain_id is missing', 'domain_id must be included.', 'domain_id')
    if (proxyHealth.domainIds.length > 0 && !proxyHealth.domainIds.includes(domainId)) {
      return clerkErrors(res, 400, 'form_param_value_invalid', 'domain_id is invalid', `No domain with id ${domainId} belongs to this instance.`, 'domain_id')
    }
    if (proxyHealth.unavailable !== undefined) return json(res, 503, { status: 'unhealthy', message: proxyHealth.unavailable })
    const secret = req.headers['clerk-secret-key']
    const proxyUrl = req.headers['clerk-proxy-url']
    const forwardedFor = req.headers['x-forwarded-for']
    const unhealthy = (message: string): void => json(res, 200, { status: 'unhealthy', message })
    if (!secret || (proxyHealth.secretKey !== undefined && secret !== proxyHealth.secretKey)) return unhealthy('missing or invalid Clerk-Secret-Key')
    if (!proxyUrl) return unhealthy('missing Clerk-Proxy-Url header')
    if (!forwardedFor) return unhealthy('missing X-Forwarded-For header')
    // `proxy_url` is the stand-in's echo of the header it received (FAPI's documented answer has
    // status and x_forwarded_for only), so doctor's byte-for-byte comparison can be exercised.
    json(res, 200, { status: 'healthy', x_forwarded_for: forwardedFor, proxy_url: proxyUrl })
  }

  function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const q = url.searchParams
    const path = url.pathname
    const accept = String(req.headers['accept-encoding'] ?? '')

    if (path === '/v1/proxy-health') return answerProxyHealth(req, res, q)
    if (path === '/v1/environment') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(ENVIRONMENT_JSON)
    }
    if (path === '/v1/client') return json(res, 200, { response: null, client: null })
    if (path === '/echo' || path.startsWith('/echo/')) {
      void readBody(req, record).then(() =>
        json(res, Number(q.get('status') ?? 200), {
          method: req.method,
          url: req.url,
          // The secret itself is never echoed, so tests can assert no response contains it.
          headers: { ...record.headers, 'clerk-secret-key': fingerprint(record.headers['clerk-secret-key']) },
          bodyLength: record.bodyLength,
          bodySha256: record.bodySha256,
        }),
      )
      return
    }
    if (path === '/upload') {
      void readBody(req, record).then(() => json(res, 200, { bodyLength: record.bodyLength, bodySha256: record.bodySha256 }))
      return
    }
    if (path === '/cookies') {
      res.setHeader('set-cookie', [
        `__client=abc; Path=/; Expires=${SECRET_COOKIE_EXPIRES}; HttpOnly; Secure; SameSite=Lax`,
        `__client_uat=123; Path=/; Expires=${SECRET_COOKIE_EXPIRES}; SameSite=Lax`,
        '__session=eyJ.payload.sig; Path=/; Secure; SameSite=None',
      ])
      return json(res, 200, { ok: true })
    }
    if (path === '/redirect') {
      res.writeHead(Number(q.get('status') ?? 302), { location: q.get('to') ?? '/', 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] })
      return void res.end()
    }
    if (path === '/status') {
      const status = Number(q.get('code') ?? 200)
      res.writeHead(status, { 'content-type': 'application/json' })
      return void res.end(status === 204 || status === 304 ? undefined : JSON.stringify({ status }))
    }
    if (path === '/clerk-js-bundle.js') {
      // A real asset (the clerk-js browser bundle), where compression levels differ as they do
      // in production; gzip only, as Clerk sends to a client that asks for gzip alone.
      const headers: Record<string, string | number> = { 'content-type': 'application/javascript', vary: 'Accept-Encoding' }
      let body = realAsset()
      if (/\bgzip\b/.test(accept)) {
        body = gzipSync(body)
        headers['content-encoding'] = 'gzip'
      }
      headers['content-length'] = body.length
      res.writeHead(200, headers)
      return void res.end(body)
    }
    if (path === '/asset.js' || path.startsWith('/npm/')) {
      const headers: Record<string, string | number> = { 'content-type': 'application/javascript', vary: 'Accept-Encoding' }
      let body = asset
      if (q.get('encoding') !== 'identity' && /\bbr\b/.test(accept)) {
        body = assetBrotli
        headers['content-encoding'] = 'br'
      } else if (q.get('encoding') !== 'identity' && /\bgzip\b/.test(accept)) {
        body = assetGzip
        headers['content-encoding'] = 'gzip'
      }
      headers['content-length'] = body.length
      res.writeHead(200, headers)
      return void res.end(body)
    }
    if (path === '/download') {
      const total = Number(q.get('bytes') ?? 1024)
      const chunk = Buffer.alloc(65536, 120)
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total })
      let sent = 0
      const pump = (): void => {
        while (sent < total) {
          const n = Math.min(chunk.length, total - sent)
          sent += n
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump)
        }
        res.end()
      }
      return pump()
    }
    if (path === '/slow-headers') {
      const timer = setTimeout(() => json(res, 200, { slow: true }), Number(q.get('ms') ?? 1000))
      res.on('close', () => clearTimeout(timer))
      return
    }
    if (path === '/stream') {
      // First chunk now, the rest only after release() or `ms`.
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first chunk\n')
      const finish = (): void => void res.end('last chunk\n')
      const ms = q.get('ms')
      if (ms) {
        const timer = setTimeout(finish, Number(ms))
        res.on('close', () => clearTimeout(timer))
      } else held.push(finish)
      return
    }
    if (path === '/hold') {
      held.push(() => json(res, 200, { released: true }))
      return
    }
    if (path === '/hangup') return void req.socket.destroy()
    if (path === '/reset-mid-body') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100000 })
      res.write('x'.repeat(1000))
      setTimeout(() => req.socket.destroy(), 20)
      return
    }
    if (path === '/stall-body') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100000 })
      res.write('x'.repeat(1000))
      return
    }
    if (path === '/garbage') {
      // Over HTTP/2 bytes cannot be written past the framing: the stream ends in a protocol error
      // instead (a session-level one would take every concurrent request of a test with it).
      const stream = (req as IncomingMessage & { stream?: ServerHttp2Stream }).stream
      if (stream) return void stream.close(http2Constants.NGHTTP2_PROTOCOL_ERROR)
      req.socket.end('THIS IS NOT HTTP\r\n\r\n')
      return
    }
    if (path === '/echo-secret') {
      // A broken upstream that reflects the secret header back.
      res.writeHead(200, { 'clerk-secret-key': String(req.headers['clerk-secret-key'] ?? ''), 'content-type': 'text/plain' })
      return void res.end('ok')
    }
    json(res, 404, { errors: [{ code: 'resource_not_found', message: 'not found', long_message: `no route ${path}` }] })
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    routes,
    proxyHealth,
    waitFor(predicate, timeoutMs = 20_000) {
      const found = requests.find(predicate)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (r: RecordedRequest) => (clearTimeout(timer), resolve(r)) }
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1)
          reject(new Error('no matching request reached the FAPI stand-in'))
        }, timeoutMs)
        waiters.push(waiter)
      })
    },
    release() {
      for (const release of held.splice(0)) release()
    },
    portsWithoutRequest() {
      return [...sockets].filter((socket) => !lastRequestOn.has(socket)).map((socket) => socket.remotePort ?? 0)
    },
    close() {
      clearInterval(stallWatch)
      for (const release of held.splice(0)) release()
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
