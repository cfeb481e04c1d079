// The upload sink behind the upstream nginx: reads the whole body, answers with its length.
import { createServer } from 'node:http'

/**
 * @param {number} port
 * @returns {Promise<{ close(): Promise<void>, lastBytes(): number }>}
 */
export function startUploadSink(port) {
  let last = 0
  const server = createServer((req, res) => {
    let bytes = 0
    req.on('data', (chunk) => (bytes += chunk.length))
    req.on('end', () => {
      last = bytes
      const body = JSON.stringify({ bytes })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () =>
      resolve({
        lastBytes: () => last,
        close: () => new Promise((r) => {
          server.closeAllConnections()
          server.close(() => r())
        }),
      }),
    )
  })
}
