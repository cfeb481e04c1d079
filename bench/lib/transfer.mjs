// Single requests the table reports on besides load: the asset's bytes on the wire and the
// proxy's memory while 256 MiB stream through it.
import { request } from 'node:http'
import { procMemory } from './processes.mjs'

/**
 * GETs `url` with `Accept-Encoding: gzip, br` and counts the body bytes as they arrive
 * (Node's http client does not decode, so these are the bytes on the wire).
 * @param {string} url
 */
export function assetOnTheWire(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { 'accept-encoding': 'gzip, br' } }, (res) => {
      let bytes = 0
      res.on('data', (chunk) => (bytes += chunk.length))
      res.on('end', () => resolve({ status: res.statusCode, bytes, encoding: res.headers['content-encoding'] ?? 'identity' }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Samples VmRSS of `pid` every few ms until stopped; reports the peak. */
function rssSampler(pid) {
  let peak = procMemory(pid, 'VmRSS') ?? 0
  const timer = setInterval(() => {
    const rss = procMemory(pid, 'VmRSS')
    if (rss !== undefined && rss > peak) peak = rss
  }, 10)
  return {
    stop() {
      clearInterval(timer)
      const rss = procMemory(pid, 'VmRSS')
      if (rss !== undefined && rss > peak) peak = rss
      return peak
    },
  }
}

/**
 * Downloads `url` (drains it as fast as it comes) while sampling the proxy's RSS.
 * @param {string} url
 * @param {number} pid the proxy process
 */
export function streamDownload(url, pid) {
  return measured(pid, () =>
    new Promise((resolve, reject) => {
      const req = request(url, { agent: false }, (res) => {
        let bytes = 0
        res.on('data', (chunk) => (bytes += chunk.length))
        res.on('end', () => resolve({ status: res.statusCode, bytes }))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    }),
  )
}

/**
 * POSTs `bytes` bytes to `url` (with Content-Length, respecting back-pressure) while sampling
 * the proxy's RSS; the upstream sink answers with the count it received.
 * @param {string} url
 * @param {number} bytes
 * @param {number} pid
 */
export function streamUpload(url, bytes, pid) {
  const chunk = Buffer.alloc(64 * 1024, 'x')
  return measured(pid, () =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes) } }, (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => {
          let received
          try {
            received = JSON.parse(body).bytes
          } catch {
            received = undefined
          }
          resolve({ status: res.statusCode, bytes: received })
        })
      })
      req.on('error', reject)
      let sent = 0
      const pump = () => {
        while (sent < bytes) {
          const piece = bytes - sent >= chunk.length ? chunk : chunk.subarray(0, bytes - sent)
          sent += piece.length
          if (!req.write(piece)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
    }),
  )
}

async function measured(pid, transfer) {
  const before = procMemory(pid, 'VmRSS') ?? 0
  const sampler = rssSampler(pid)
  const started = performance.now()
  let result
  try {
    result = await transfer()
  } catch (error) {
    sampler.stop()
    throw error
  }
  const peak = sampler.stop()
  return { ...result, seconds: (performance.now() - started) / 1000, rssBefore: before, rssPeak: peak, growth: peak - before }
}
