// The WAN bench's own parts (bench/wan): the relay that simulates a network link and the
// Cloudflare-like HTTPS stand-in for the Frontend API. What they do is checked by counts and
// protocols, never by the time things take (speed belongs in `npm run bench:wan`).
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect as connectH2 } from 'node:http2'
import { Agent, request as httpsRequest } from 'node:https'
import { createServer, connect as connectTcp, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeCertificate } from '../bench/wan/certificate.mjs'
import { startFapiStandIn, type FapiStandIn } from '../bench/wan/fapi-stand-in.mjs'
import { createRelay } from '../bench/wan/relay.mjs'

const BODY = JSON.stringify({ object: 'environment', auth_config: { single_session_mode: true } })

/** A TCP server that echoes what it gets, says `!` when the client is done, then closes. */
async function echoServer(): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  let received = 0
  const sockets = new Set<Socket>()
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
      socket.write(chunk)
    })
    socket.on('end', () => socket.end('!'))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

describe('the relay (a simulated network link)', () => {
  test('holds what the client sent in the link instead of passing it straight on', async () => {
    const echo = await echoServer()
    // A round trip of a minute: nothing can be due while the test looks.
    const relay = await createRelay(echo.port, { rttMs: 60_000 })
    const client = connectTcp(relay.port, '127.0.0.1')
    try {
      await once(client, 'connect')
      client.write('hello')
      for (let i = 0; i < 1000 && relay.queuedBytes() < 5; i++) await new Promise((r) => setTimeout(r, 10))
      expect(relay.queuedBytes()).toBe(5)
      expect(echo.received()).toBe(0)
      expect(relay.connections()).toBe(1)
    } finally {
      client.destroy()
      await relay.close()
      await echo.close()
    }
  })

  test('delivers every chunk in order each way, and the close only after the data queued before it', async () => {
    const echo = await echoServer()
    const relay = await createRelay(echo.port, { rttMs: 10 })
    const client = connectTcp({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true })
    try {
      let answer = ''
      client.setEncoding('utf8')
      client.on('data', (chunk: string) => (answer += chunk))
      await once(client, 'connect')
      for (const word of ['one', 'two', 'three']) client.write(word)
      client.end()
      await once(client, 'end')
      expect(answer).toBe('onetwothree!')
      expect(echo.received()).toBe('onetwothree'.length)
      expect(relay.queuedBytes()).toBe(0)
    } finally {
      client.destroy()
      await relay.close()
      await echo.close()
    }
  })
})

describe('the HTTPS stand-in for the Frontend API (Cloudflare-like)', () => {
  let dir: string
  let certificate: ReturnType<typeof makeCertificate>
  let standIn: FapiStandIn
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-wan-test-'))
    certificate = makeCertificate(dir)
    standIn = await startFapiStandIn({ cert: certificate.cert, key: certificate.key, ports: 3, body: BODY })
  })
  afterAll(async () => {
    await standIn?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('speaks HTTP/2 when offered, many requests on one connection, also through the relay', async () => {
    const relay = await createRelay(standIn.ports[0]!, { rttMs: 10 })
    const session = connectH2(`https://127.0.0.1:${relay.port}`, { ca: certificate.ca })
    try {
      const get = () =>
        new Promise<string>((resolve, reject) => {
          const stream = session.request({ ':path': '/v1/environment' })
          let body = ''
          stream.setEncoding('utf8')
          stream.on('data', (chunk: string) => (body += chunk))
          stream.on('end', () => resolve(body))
          stream.on('error', reject)
          stream.end()
        })
      expect(await Promise.all([get(), get(), get()])).toEqual([BODY, BODY, BODY])
      const mine = standIn.connections().filter((c) => c.port === standIn.ports[0])
      expect(mine).toEqual([expect.objectContaining({ alpn: 'h2', tlsVersion: 'TLSv1.3', resumed: false, requests: 3 })])
      expect(relay.connections()).toBe(1)
    } finally {
      session.destroy()
      await relay.close()
    }
  })

  test('speaks HTTP/1.1 when only that is offered, sends no Keep-Alive hint, and resumes TLS sessions', async () => {
    // No keep-alive: two requests, two connections; the agent's TLS session cache resumes the second.
    const agent = new Agent({ keepAlive: false, ca: certificate.ca, ALPNProtocols: ['http/1.1'] })
    const get = () =>
      new Promise<{ version: string; keepAliveHint: boolean; body: string }>((resolve, reject) => {
        const req = httpsRequest(`https://127.0.0.1:${standIn.ports[1]}/v1/environment`, { agent }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (body += chunk))
          res.on('end', () => resolve({ version: res.httpVersion, keepAliveHint: 'keep-alive' in res.headers, body }))
        })
        req.on('error', reject)
        req.end()
      })
    try {
      expect(await get()).toEqual({ version: '1.1', keepAliveHint: false, body: BODY })
      expect(await get()).toEqual({ version: '1.1', keepAliveHint: false, body: BODY })
      const mine = standIn.connections().filter((c) => c.port === standIn.ports[1])
      expect(mine.map((c) => [c.alpn, c.resumed])).toEqual([
        ['http/1.1', false],
        ['http/1.1', true],
      ])
    } finally {
      agent.destroy()
    }
  })

  test('closes a connection itself once it has been idle longer than its idle timeout', async () => {
    const session = connectH2(`https://127.0.0.1:${standIn.ports[2]}`, { ca: certificate.ca })
    session.on('error', () => {})
    const stream = session.request({ ':path': '/v1/environment' })
    stream.resume()
    stream.end()
    await once(stream, 'end')
    const closed = once(session, 'close')
    standIn.setIdle(100)
    try {
      await closed
      expect(session.closed || session.destroyed).toBe(true)
      expect(standIn.connections().filter((c) => c.port === standIn.ports[2])).toHaveLength(1)
    } finally {
      standIn.setIdle(400_000)
      session.destroy()
    }
  })
})
