/**
 * Compressing again what a decoding `fetch` unpacked (Deno, Deno Deploy): when the client
 * accepts gzip, the proxy asks the Frontend API for gzip and re-encodes the decoded body with
 * the platform's own `CompressionStream`, so assets cross the client's link compressed. Only
 * web-standard APIs; imported by the Deno adapter alone, so edge bundles do not carry it.
 */
import type { FetchTransport } from './forward-fetch.ts'

/**
 * True when an `Accept-Encoding` value allows gzip (`gzip`, `x-gzip` or `*`, without `q=0`).
 *
 * @example
 * acceptsGzip('gzip, deflate, br') // true
 */
export function acceptsGzip(acceptEncoding: string | null | undefined): boolean {
  if (!acceptEncoding) return false
  for (const entry of acceptEncoding.toLowerCase().split(',')) {
    const [coding, ...params] = entry.split(';').map((part) => part.trim())
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue
    const q = params.find((p) => p.startsWith('q='))
    if (q === undefined || Number(q.slice(2)) > 0) return true
  }
  return false
}

/**
 * The upstream request headers for a client that accepts gzip: `Accept-Encoding: gzip` only,
 * so the size the upstream would have sent and the size the proxy sends are alike.
 *
 * @example
 * const pairs = askForGzip([['accept-encoding', 'gzip, br']]) // [['accept-encoding', 'gzip']]
 */
export function askForGzip(pairs: readonly [string, string][]): [string, string][] {
  const kept = pairs.filter(([name]) => name !== 'accept-encoding')
  kept.push(['accept-encoding', 'gzip'])
  return kept
}

/**
 * A transport over a `fetch` that always decodes (Deno's) whose answers are true to their
 * labels: for a client that accepts gzip the decoded body is compressed again
 * (`Content-Encoding: gzip`, `Vary: Accept-Encoding`, no `Content-Length`); for any other
 * client it is the plain bytes, without `Content-Encoding` or `Content-Length`.
 *
 * @example
 * clerkProxy({ transport: gzipAgainTransport((url, init) => fetch(url, init)) })
 */
export function gzipAgainTransport(decodingFetch: (url: string, init: RequestInit) => Promise<Response>): FetchTransport {
  return {
    decodesBody: false,
    async fetch(url, init) {
      const pairs = init.headers as [string, string][]
      const gzip = init.method !== 'HEAD' && acceptsGzip(pairs.find(([name]) => name === 'accept-encoding')?.[1])
      const upstream = await decodingFetch(url, gzip ? { ...init, headers: askForGzip(pairs) } : init)
      if (upstream.body === null || !upstream.headers.has('content-encoding')) return upstream
      const headers = new Headers(upstream.headers)
      headers.delete('content-length')
      headers.delete('content-encoding')
      let body: ReadableStream<Uint8Array> = upstream.body
      if (gzip) {
        body = body.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>)
        headers.set('content-encoding', 'gzip')
        if (!/\baccept-encoding\b/i.test(headers.get('vary') ?? '')) headers.append('vary', 'Accept-Encoding')
      }
      return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers })
    },
  }
}
