/**
 * Compressing again what a decoding `fetch` unpacked (Deno, Deno Deploy): when the client
 * accepts gzip, the proxy asks the Frontend API for gzip and re-encodes the decoded body with
 * the platform's own `CompressionStream`, so assets cross the client's link compressed. Only
 * web-standard APIs: it runs wherever `CompressionStream` does.
 */

/**
 * True when an `Accept-Encoding` value allows gzip (`gzip` or `*`, without `q=0`).
 *
 * @example
 * acceptsGzip('gzip, deflate, br') // true
 */
export function acceptsGzip(acceptEncoding: string | null): boolean {
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
 * const pairs = askForGzip(upstreamRequestHeaderPairs(request.headers, own))
 */
export function askForGzip(pairs: [string, string][]): [string, string][] {
  const kept = pairs.filter(([name]) => name !== 'accept-encoding')
  kept.push(['accept-encoding', 'gzip'])
  return kept
}

/**
 * A decoded body compressed again with gzip, with the headers that say so: `Content-Encoding:
 * gzip`, no `Content-Length` (the compressed length is not known ahead), `Vary:
 * Accept-Encoding` (a cache must not hand it to a client that did not ask for gzip).
 *
 * @example
 * const { body, headers } = gzipAgain(upstream.body, clientHeaderPairs)
 */
export function gzipAgain(body: ReadableStream<Uint8Array>, headers: [string, string][]): { body: ReadableStream<Uint8Array>; headers: [string, string][] } {
  const shaped = headers.filter(([name]) => name !== 'content-length' && name !== 'content-encoding')
  shaped.push(['content-encoding', 'gzip'])
  if (!shaped.some(([name, value]) => name === 'vary' && /\baccept-encoding\b/i.test(value))) shaped.push(['vary', 'Accept-Encoding'])
  return { body: body.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>), headers: shaped }
}
