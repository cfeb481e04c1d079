/**
 * Deliberately broken Clerk proxies, each with one mistake real proxies make, so the doctor's
 * checks can be shown to catch it. A plain node:http forwarder in front of the FAPI stand-in.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'

/** The one mistake a broken proxy makes. */
export type Breakage =
  /** Believes the client's X-Forwarded-For (Clerk's own helper does). */
  | 'trusts-forwarded-for'
  /** Sends its load balancer's private address as the client's. */
  | 'private-client-ip'
  /** Joins several Set-Cookie headers into one with commas. */
  | 'merges-set-cookie'
  /** Decodes gzip/br (as fetch does) but keeps Content-Encoding. */
  | 'decodes-keeps-encoding'
  /** Keeps the compressed bytes but drops Content-Encoding. */
  | 'strips-encoding'
  /** Compresses an already compressed body again. */
  | 'double-encodes'
  /** Copies the secret key into a response header. */
  | 'leaks-secret'
  /** Forwards every path, not only the prefix. */
  | 'no-prefix-boundary'
  /** Sends no Clerk-Secret-Key, so FAPI reports the proxy unhealthy. */
  | 'no-secret-header'
  /** Sends its own local address as Clerk-Proxy-Url (behind a reverse proxy, without CLERK_PROXY_URL). */
  | 'localhost-proxy-url'
  /** None: a minimal correct proxy, to show the harness itself passes. */
  | 'none'

/** A running broken proxy. */
export interface BrokenProxy {
  /** The public proxy URL, e.g. `http://127.0.0.1:1234/__clerk`. */
  readonly url: string
  close(): Promise<void>
}

/**
 * Starts a broken proxy on 127.0.0.1 forwarding `prefix` to `fapiUrl`.
 *
 * @example
 * const bad = await startBrokenProxy({ fapiUrl: fapi.url, secretKey, breakage: 'trusts-forwarded-for' })
 */
export async function startBrokenProxy(options: { fapiUrl: string; secretKey: string; breakage: Breakage; prefix?: string }): Promise<BrokenProxy> {
  const prefix = options.prefix ?? '/__clerk'
  const { breakage } = options
  const sockets = new Set<Socket>()
  let publicUrl = ''
  const server: Server = createServer((req, res) => {
    const target = req.url ?? '/'
    const inside = breakage === 'no-prefix-boundary' ? true : target === prefix || target.startsWith(`${prefix}/`) || target.startsWith(`${prefix}?`)
    if (!inside) {
      res.writeHead(404, { 'content-type': 'text/html' })
      return void res.end('<h1>Not found</h1>')
    }
    const upstreamPath = target.startsWith(prefix) ? target.slice(prefix.length) || '/' : target
    const headers: OutgoingHttpHeaders = { ...req.headers }
    delete headers.host
    delete headers.connection
    const peer = req.socket.remoteAddress ?? ''
    headers['x-forwarded-for'] =
      breakage === 'trusts-forwarded-for' ? (req.headers['x-forwarded-for'] ?? peer) : breakage === 'private-client-ip' ? '10.0.0.7' : peer
    headers['clerk-proxy-url'] = breakage === 'localhost-proxy-url' ? publicUrl.replace('127.0.0.1', 'localhost') : publicUrl
    if (breakage !== 'no-secret-header') headers['clerk-secret-key'] = options.secretKey
    const upstream = httpRequest(new URL(upstreamPath, options.fapiUrl), { method: req.method, headers, agent: false }, (up) => {
      const chunks: Buffer[] = []
      up.on('data', (c: Buffer) => chunks.push(c))
      up.on('end', () => {
        let body = Buffer.concat(chunks)
        const out: IncomingHttpHeaders = { ...up.headers }
        delete out.connection
        delete out['transfer-encoding']
        const encoding = out['content-encoding']
        if (breakage === 'merges-set-cookie' && out['set-cookie']) (out as Record<string, unknown>)['set-cookie'] = out['set-cookie'].join(', ')
        if (breakage === 'decodes-keeps-encoding' && encoding) body = encoding === 'br' ? brotliDecompressSync(body) : gunzipSync(body)
        if (breakage === 'strips-encoding') delete out['content-encoding']
        if (breakage === 'double-encodes' && encoding) {
          body = gzipSync(body)
          out['content-encoding'] = 'gzip'
        }
        if (breakage === 'leaks-secret') (out as Record<string, unknown>)['x-debug-upstream-key'] = options.secretKey
        out['content-length'] = String(body.length)
        res.writeHead(up.statusCode ?? 502, out as OutgoingHttpHeaders)
        res.end(body)
      })
    })
    upstream.on('error', () => {
      res.writeHead(502, { 'content-type': 'text/plain' })
      res.end('bad gateway')
    })
    req.pipe(upstream)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`
  return {
    url: publicUrl,
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
