/**
 * Uploads of an exact size through a proxy, and what the FAPI stand-in made of them: the tools
 * for holding every platform to its body limits (just under, at and over each).
 */
import { randomBytes } from 'node:crypto'
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { createConnection } from 'node:net'
import type { FapiStandIn, RecordedRequest } from './fapi-stand-in.ts'

/** How the body is framed: a declared `Content-Length`, or chunked without one. */
export type BodyFraming = 'content-length' | 'chunked'

/** What the client got back for one upload. */
export interface UploadAnswer {
  readonly status: number
  /** The parsed JSON body (the stand-in's `{ bodyLength, bodySha256 }`, or Clerk's error shape). */
  readonly json: unknown
  readonly headers: Record<string, string | string[] | undefined>
}

const PIECE = 64 * 1024

/**
 * POSTs `size` bytes to `url` (written in 64 KiB pieces) and resolves with the answer. A server
 * that answers before reading the whole body and closes is fine: the answer is what counts.
 *
 * @example
 * const answer = await upload(`${base}/__clerk/upload?t=a1`, 1024, 'chunked')
 */
export function upload(url: string, size: number, framing: BodyFraming, headers: Record<string, string> = {}): Promise<UploadAnswer> {
  const body = randomBytes(size)
  const framingHeader: Record<string, string> = framing === 'chunked' ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(size) }
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', ...framingHeader, ...headers } }, (res) => {
      readAnswer(res).then(resolve, reject)
    })
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${url}`)))
    // The server may answer and close before the whole body is written: the answer decides.
    let answered = false
    req.once('response', () => (answered = true))
    req.on('error', (error) => (answered ? undefined : reject(error)))
    writeBody(req, body)
  })
}

function writeBody(req: ClientRequest, body: Buffer): void {
  let offset = 0
  const writeMore = (): void => {
    while (offset < body.length) {
      const piece = body.subarray(offset, Math.min(offset + PIECE, body.length))
      offset += piece.length
      if (!req.write(piece)) return void req.once('drain', writeMore)
    }
    req.end()
  }
  writeMore()
}

/**
 * POSTs `size` bytes with a declared length and `Expect: 100-continue`: the body is written only
 * once the server asks for it, so a server that refuses the declared length answers without the
 * body ever being sent (and cannot reset the connection over unread bytes).
 *
 * @example
 * const answer = await announce(`${base}/__clerk/upload?t=a2`, 20_000_000)
 */
export function announce(url: string, size: number, headers: Record<string, string> = {}): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), expect: '100-continue', ...headers } }, (res) => {
      readAnswer(res).then(resolve, reject).finally(() => req.destroy())
    })
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${url}`)))
    let answered = false
    req.once('response', () => (answered = true))
    req.on('error', (error) => (answered ? undefined : reject(error)))
    req.once('continue', () => writeBody(req, randomBytes(size)))
    req.flushHeaders()
  })
}

function readAnswer(res: IncomingMessage): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (chunk: Buffer) => chunks.push(chunk))
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = text
      }
      resolve({ status: res.statusCode ?? 0, json, headers: res.headers })
    })
    res.on('error', reject)
  })
}

/**
 * The stand-in's records for one tagged upload, once each has either completed or been cut
 * off (waiting at most `timeoutMs`, polling every 50 ms). A record that completed received a
 * body its sender framed as whole.
 *
 * @example
 * const records = await settledUploads(fapi, 't=a1')
 */
export async function settledUploads(fapi: FapiStandIn, tag: string, timeoutMs = 10_000): Promise<RecordedRequest[]> {
  const mine = (): RecordedRequest[] => fapi.requests.filter((r) => r.url.includes(tag))
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (mine().every((r) => r.completed || r.aborted)) return mine()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return mine()
}

/**
 * Sends a request head and then less body than it announces (`Content-Length` larger than the
 * bytes sent, or chunks without the terminating one), then half-closes: a client that went away
 * mid-upload. Resolves once the connection has closed or `waitMs` passed, with whatever came back.
 *
 * @example
 * await cutUpload(base, '/__clerk/upload?t=c1', 'content-length', 4096, 1000)
 */
export function cutUpload(baseUrl: string, target: string, framing: BodyFraming, sentBytes: number, waitMs = 3_000): Promise<string> {
  const { hostname, port } = new URL(baseUrl)
  const body = randomBytes(sentBytes)
  const head =
    framing === 'content-length'
      ? `POST ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${sentBytes * 2}\r\n\r\n`
      : `POST ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`
  const payload = framing === 'content-length' ? body : Buffer.concat([Buffer.from(`${sentBytes.toString(16)}\r\n`), body, Buffer.from('\r\n')])
  return new Promise((resolve) => {
    let answer = ''
    const socket = createConnection({ host: hostname, port: Number(port) }, () => {
      socket.write(head)
      socket.end(payload)
    })
    const timer = setTimeout(() => socket.destroy(), waitMs)
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(answer)
    })
  })
}
