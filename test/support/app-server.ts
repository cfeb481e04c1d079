/**
 * A plain "your app" server for the browser suite and the demo: answers every GET with the
 * app page and records what the browser asked for (to see where redirects landed).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running app server. */
export interface AppServer {
  /** `http://localhost:<port>`: the page origin the browser uses. */
  readonly url: string
  readonly port: number
  /** Request targets the browser asked for, in order. */
  readonly requests: { method: string; url: string; userAgent: string | undefined }[]
  close(): Promise<void>
}

/**
 * Serves `html` on 127.0.0.1 (port 0 unless given); `extra` may answer other paths first.
 *
 * @example
 * const app = await startAppServer(appPageHtml({ … }))
 */
export async function startAppServer(
  html: string | (() => string),
  options: { port?: number; extra?: (req: IncomingMessage, res: ServerResponse) => boolean } = {},
): Promise<AppServer> {
  const requests: AppServer['requests'] = []
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', userAgent: req.headers['user-agent'] })
    if (options.extra?.(req, res)) return
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' })
      return void res.end()
    }
    const body = typeof html === 'function' ? html() : html
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
    res.end(req.method === 'HEAD' ? undefined : body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://localhost:${port}`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
