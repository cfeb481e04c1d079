// How the bench asks: a keep-alive HTTP/1.1 client on loopback for each proxy (the browser
// side is not what is measured), and the direct client, which talks HTTP/2 to the stand-in
// through its own relay port: the floor a proxy cannot beat (one RTT once connected). Both are
// run on local servers first (`warmClients`), so a first request measures the target, not the
// bench's own first use of its client code.
import { createServer } from 'node:http'
import { connect, createSecureServer } from 'node:http2'
import { Pool } from 'undici'

/**
 * @typedef {object} Target
 * @property {() => Promise<void>} request one `GET …/v1/environment`; rejects unless 200 with the expected body
 * @property {() => Promise<void>} close
 */

/**
 * @param {number} port the proxy's port on 127.0.0.1
 * @param {string} expectedBody
 * @returns {Target}
 */
export function proxyClient(port, expectedBody) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 128, keepAliveTimeout: 900_000, keepAliveMaxTimeout: 900_000, headersTimeout: 60_000, bodyTimeout: 60_000 })
  return {
    async request() {
      const res = await pool.request({ method: 'GET', path: '/__clerk/v1/environment' })
      const body = await res.body.text()
      if (res.statusCode !== 200 || body !== expectedBody) throw new Error(`proxy answered ${res.statusCode}: ${body.slice(0, 200)}`)
    },
    close: () => pool.destroy(),
  }
}

const RECEIVE_WINDOW = 8 * 1024 * 1024

/**
 * A plain HTTP/2 client straight to the stand-in: connects on first use and again on demand
 * after the server closed the session (no pre-connect: what an ordinary client does).
 * @param {number} port the relay port leading to the stand-in
 * @param {string} ca the stand-in's CA certificate
 * @param {string} expectedBody
 * @returns {Target}
 */
export function directClient(port, ca, expectedBody) {
  let session
  const current = () => {
    if (!session || session.closed || session.destroyed) {
      // Node's default receive window (64 KiB per connection) stalls ~25 concurrent 2.5 KB
      // answers for a WINDOW_UPDATE round trip; a client that means to multiplex raises it.
      session = connect(`https://127.0.0.1:${port}`, { ca, settings: { initialWindowSize: RECEIVE_WINDOW } })
      session.once('connect', (s) => s.setLocalWindowSize(RECEIVE_WINDOW))
      session.on('error', () => {})
      session.on('goaway', () => session?.close())
    }
    return session
  }
  return {
    request: () =>
      new Promise((resolve, reject) => {
        const stream = current().request({ ':path': '/v1/environment' })
        let body = ''
        let status = 0
        stream.setEncoding('utf8')
        stream.on('response', (headers) => (status = Number(headers[':status'])))
        stream.on('data', (chunk) => (body += chunk))
        stream.on('end', () => (status === 200 && body === expectedBody ? resolve() : reject(new Error(`direct: ${status}`))))
        stream.on('error', reject)
        stream.end()
      }),
    close: async () => session?.destroy(),
  }
}

/**
 * Runs both clients' request paths a few times against local servers, so that no contender's
 * first request pays for the bench's own first use of undici or node:http2 (lazy loading,
 * JIT): whichever proxy came first in the cold scenario used to carry ≈ 10 ms of it.
 * @param {{ ca: string, cert: string, key: string }} certificate
 * @param {string} expectedBody
 */
export async function warmClients(certificate, expectedBody) {
  const answer = (_req, res) => res.end(expectedBody)
  const plain = createServer(answer)
  const secure = createSecureServer({ cert: certificate.cert, key: certificate.key }, answer)
  const listening = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
  const clients = [proxyClient(await listening(plain), expectedBody), directClient(await listening(secure), certificate.ca, expectedBody)]
  try {
    for (const client of clients) for (let i = 0; i < 3; i++) await client.request()
  } finally {
    for (const client of clients) await client.close()
    await Promise.all([plain, secure].map((server) => new Promise((resolve) => server.close(resolve))))
  }
}
