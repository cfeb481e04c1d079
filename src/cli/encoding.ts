import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'

/** The outcome of undoing a response's Content-Encoding. */
export type DecodeResult =
  | { readonly ok: true; readonly body: Buffer; readonly encodings: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly encodings: readonly string[] }

/**
 * Undoes the codings a `Content-Encoding` header names, last applied first, the way a browser
 * does. A body that does not match its header fails here exactly as it fails in a browser
 * (ERR_CONTENT_DECODING_FAILED).
 *
 * @example
 * decodeBody(gzipSync('hi'), 'gzip') // { ok: true, body: <Buffer 68 69>, encodings: ['gzip'] }
 */
export function decodeBody(body: Buffer, contentEncoding: string): DecodeResult {
  const encodings = contentEncoding
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '' && e !== 'identity')
  let current = body
  for (const encoding of [...encodings].reverse()) {
    try {
      if (encoding === 'gzip' || encoding === 'x-gzip') current = gunzipSync(current)
      else if (encoding === 'br') current = brotliDecompressSync(current)
      else if (encoding === 'deflate') current = inflateSync(current)
      else return { ok: false, error: `cannot decode Content-Encoding "${encoding}" here`, encodings }
    } catch (error) {
      return { ok: false, error: `the body is not valid ${encoding}: ${(error as Error).message}`, encodings }
    }
  }
  return { ok: true, body: current, encodings }
}

/**
 * True when the bytes start like a compressed stream (gzip's magic number), i.e. a body that
 * is still compressed after every declared coding was undone.
 *
 * @example
 * looksGzipped(gzipSync('x')) // true
 */
export function looksGzipped(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b
}

/**
 * True when the bytes are readable UTF-8 text without NUL bytes: what a script must be.
 * Compressed or double-compressed bytes fail this.
 *
 * @example
 * looksLikeText(Buffer.from('export const a = 1')) // true
 */
export function looksLikeText(body: Buffer): boolean {
  if (body.includes(0)) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body)
    return true
  } catch {
    return false
  }
}

/**
 * A byte count for people: `312 kB`, `1.4 MB`.
 *
 * @example
 * formatBytes(1_400_000) // '1.4 MB'
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} kB`
  return `${(bytes / 1_000_000).toFixed(1)} MB`
}
