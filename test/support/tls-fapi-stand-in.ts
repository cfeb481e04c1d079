/**
 * An HTTPS stand-in for the Frontend API as Cloudflare serves it: HTTP/2 and HTTP/1.1 by ALPN
 * (or HTTP/1.1 only), idle connections kept open, no `Keep-Alive` hint. It logs every TLS
 * connection it accepts, and can misbehave on cue the ways a real upstream does: close its
 * idle connections, drop the connection a request arrived on, refuse a stream, send GOAWAY.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createSecureServer, constants, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'

/** Where each accepted TLS socket keeps its index in `connections`. */
const CONNECTION_INDEX = Symbol('connection-index')

/** A certificate for 127.0.0.1 made for this run; `caFile` is what the proxy is told to trust. */
export interface TestCertificate {
  readonly key: Buffer
  readonly cert: Buffer
  /** The certificate's path, for `NODE_EXTRA_CA_CERTS`. */
  readonly caFile: string
  remove(): void
}

/** Makes a self-signed certificate for 127.0.0.1 with the system's openssl. */
export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'clerk-proxy-cert-'))
  const keyFile = join(dir, 'key.pem')
  const caFile = join(dir, 'cert.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', keyFile, '-out', caFile,
  ], { stdio: 'ignore' })
  return { key: readFileSync(keyFile), cert: readFileSync(caFile), caFile, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** One TLS connection the stand-in accepted. */
export interface AcceptedConnection {
  /** `h2` or `http/1.1`, as negotiated by ALPN. */
  readonly alpn: string
  closed: boolean
}

/** One request as the stand-in received it. */
export interface ReceivedRequest {
  readonly method: string
  readonly path: string
  readonly httpVersion: string
  /** Its header names and values (lower-case names; HTTP/2 pseudo-headers left out). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** The index in `connections` of the connection it arrived on. */
  readonly connection: number
}

/** What the stand-in does with the next request that matches `method`. */
export type Misbehaviour = 'drop-connection' | 'refuse-stream'

/** A running TLS stand-in. */
export interface TlsFapiStandIn {
  readonly url: string
  readonly port: number
  readonly connections: AcceptedConnection[]
  readonly requests: ReceivedRequest[]
  /** Connections accepted and not yet closed. */
  open(): number
  /** Closes every connection that is idle now, as Cloudflare does after 400 s. */
  closeIdle(): void
  /** Sends GOAWAY on every HTTP/2 session (and closes HTTP/1.1 connections). */
  goAway(): void
  /** Misbehaves once, on the next `method` request. */
  misbehaveOnNext(method: string, how: Misbehaviour): void
  /** Resolves once `predicate()` holds, checking on every connection event; rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/**
 * Starts the stand-in on 127.0.0.1 (port 0 unless `port` is given). `/barrier/N` answers only
 * once N requests are waiting on it (or after 10 s), so a burst is known to be concurrent;
 * every other path answers a small JSON body.
 *
 * @example
 * const fapi = await startTlsFapiStandIn(certificate, { http2: true })
 */
export async function startTlsFapiStandIn(certificate: TestCertificate, options: { http2: boolean; port?: number }): Promise<TlsFapiStandIn> {
  const connections: AcceptedConnection[] = []
  const requests: ReceivedRequest[] = []
  const sockets = new Map<TLSSocket, AcceptedConnection>()
  const busy = new Set<TLSSocket>()
  /** Each HTTP/2 session with its number of open streams. */
  const sessions = new Map<Http2Session, number>()
  const waiters = new Set<() => void>()
  const misbehaviours = new Map<string, Misbehaviour>()
  const barriers = new Map<number, (() => void)[]>()
  const notify = (): void => {
    for (const check of waiters) check()
  }

  const handle = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
      const socket = (req.httpVersion === '2.0' ? undefined : req.socket) as TLSSocket | undefined
      if (socket) busy.add(socket)
      res.on('close', () => socket && busy.delete(socket))
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !name.startsWith(':')))
      // On HTTP/2 `req.socket` is the session's proxy of the TLS socket, which reads through to it.
      const connection = (req.socket as unknown as { [CONNECTION_INDEX]?: number })[CONNECTION_INDEX] ?? -1
      requests.push({ method: req.method, path: req.url, httpVersion: req.httpVersion, headers, connection })
      notify()
      const misbehaviour = misbehaviours.get(req.method)
      if (misbehaviour) {
        misbehaviours.delete(req.method)
        if (misbehaviour === 'refuse-stream' && req.stream) return void req.stream.close(constants.NGHTTP2_REFUSED_STREAM)
        if (req.stream) return void req.stream.session?.destroy()
        return void req.socket.destroy()
      }
      const answer = (): void => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ object: 'stand_in', path: req.url }))
      }
      const barrier = /^\/barrier\/(\d+)/.exec(req.url)
      if (!barrier) return answer()
      const size = Number(barrier[1])
      const waiting = barriers.get(size) ?? []
      barriers.set(size, waiting)
      waiting.push(answer)
      const timer = setTimeout(answer, 10_000)
      res.on('close', () => clearTimeout(timer))
      if (waiting.length >= size) for (const release of waiting.splice(0)) release()
  }
  // node:http2 offers h2 whatever ALPNProtocols says, so an HTTP/1.1-only upstream is node:https.
  const tls = { key: certificate.key, cert: certificate.cert }
  const server = options.http2
    ? createSecureServer({ ...tls, allowHTTP1: true }, handle)
    : createHttpsServer(tls, handle as unknown as (req: IncomingMessage, res: ServerResponse) => void)
  server.on('secureConnection', (socket: TLSSocket) => {
    const connection: AcceptedConnection = { alpn: socket.alpnProtocol || 'none', closed: false }
    ;(socket as TLSSocket & { [CONNECTION_INDEX]?: number })[CONNECTION_INDEX] = connections.length
    connections.push(connection)
    sockets.set(socket, connection)
    socket.on('close', () => {
      connection.closed = true
      sockets.delete(socket)
      notify()
    })
    notify()
  })
  server.on('session', (session: Http2Session) => {
    sessions.set(session, 0)
    session.on('stream', (stream) => {
      sessions.set(session, (sessions.get(session) ?? 0) + 1)
      stream.on('close', () => sessions.has(session) && sessions.set(session, sessions.get(session)! - 1))
    })
    session.on('close', () => sessions.delete(session))
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    connections,
    requests,
    open: () => sockets.size,
    closeIdle() {
      for (const [session, streams] of sessions) if (streams === 0) session.destroy()
      for (const socket of sockets.keys()) if (socket.alpnProtocol !== 'h2' && !busy.has(socket)) socket.destroy()
    },
    goAway() {
      for (const session of sessions.keys()) session.close()
      for (const socket of sockets.keys()) if (socket.alpnProtocol !== 'h2') socket.end()
    },
    misbehaveOnNext(method, how) {
      misbehaviours.set(method, how)
    },
    until(predicate, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!predicate()) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`condition not met within ${timeoutMs} ms: ${predicate.toString()}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    async close() {
      for (const session of sessions.keys()) session.destroy()
      for (const socket of sockets.keys()) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
