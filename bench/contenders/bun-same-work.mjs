// What ours does per request on Bun, written by hand in one function with no framework: the
// pass-through (bench/contenders/bun-passthrough.mjs) plus the header rules both ways (a short
// drop list), `X-Forwarded-For` from `server.requestIP`, the client-disconnect abort, the
// upstream timeout, the small answer read whole and a request id. Not a proxy to use (no limits,
// no Location rewriting, no error shapes): a measuring stick for how close to the pass-through
// that work can get on Bun, and, with SAME_WORK_SKIP, what each part costs
// (`node bench/variants.mjs bun:bench/contenders/bun-passthrough.mjs bun:bench/contenders/bun-same-work.mjs 'bun:bench/contenders/bun-same-work.mjs#SAME_WORK_SKIP=timer'`).
// SAME_WORK_SKIP: a comma-separated list of `peer` (no requestIP: a fixed address), `request-headers`
// (the client's Headers as they are), `response-headers` (Clerk's Headers as they are),
// `listener` (no client-disconnect abort), `timer` (no timeout), `signal` (no AbortController at
// all), `id` (no request id), `buffer` (hand the body over as a stream).
const skip = new Set((process.env.SAME_WORK_SKIP ?? '').split(',').filter(Boolean))
const upstream = process.env.CLERK_FAPI_URL
const prefix = '/__clerk'
const secretKey = process.env.CLERK_SECRET_KEY
const DROPPED = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'x-forwarded-for', 'x-request-id', 'clerk-secret-key'])

globalThis.Bun.serve({
  port: Number(process.env.PORT),
  hostname: process.env.HOST ?? '127.0.0.1',
  async fetch(request, server) {
    const url = request.url
    const pathStart = url.indexOf('/', url.indexOf('//') + 2)
    let queryStart = url.indexOf('?', pathStart)
    if (queryStart < 0) queryStart = url.length
    const path = url.slice(pathStart, queryStart)
    if (!path.startsWith(prefix)) return new Response('Not Found', { status: 404 })
    const peer = skip.has('peer') ? '127.0.0.1' : server.requestIP(request)?.address
    let headers = request.headers
    if (!skip.has('request-headers')) {
      headers = []
      request.headers.forEach((value, name) => {
        if (!DROPPED.has(name)) headers.push([name, value])
      })
      headers.push(['clerk-proxy-url', url.slice(0, pathStart) + prefix], ['clerk-secret-key', secretKey])
      if (peer) headers.push(['x-forwarded-for', peer])
    }
    let signal
    let timer
    if (!skip.has('signal')) {
      const controller = new AbortController()
      signal = controller.signal
      if (!skip.has('listener')) {
        const client = request.signal
        client.addEventListener('abort', () => controller.abort(client.reason), { once: true })
      }
      if (!skip.has('timer')) timer = setTimeout(() => controller.abort(new Error('timeout')), 30_000)
    }
    const answer = await fetch(upstream + path.slice(prefix.length) + url.slice(queryStart), { method: request.method, headers, redirect: 'manual', signal, decompress: false })
    let out = answer.headers
    if (!skip.has('response-headers')) {
      out = []
      answer.headers.forEach((value, name) => {
        if (!DROPPED.has(name)) out.push([name, value])
      })
      if (!skip.has('id')) out.push(['x-request-id', crypto.randomUUID()])
    }
    const init = { status: answer.status, statusText: answer.statusText, headers: out }
    if (skip.has('buffer')) {
      clearTimeout(timer)
      return new Response(answer.body, init)
    }
    const bytes = await answer.arrayBuffer()
    clearTimeout(timer)
    return new Response(bytes, init)
  },
})
