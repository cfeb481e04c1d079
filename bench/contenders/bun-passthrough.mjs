// The floor for any fetch-based proxy on Bun: `Bun.serve` + `fetch` passing the request's
// headers and the answer through untouched, with no checks, header rules, timeout or client
// IP. Not a proxy to use; a measuring stick for bench/variants.mjs
// (`node bench/variants.mjs bun:bench/contenders/bun-passthrough.mjs clerk-bun bun:adapters/bun.ts`).
const upstream = process.env.CLERK_FAPI_URL
const prefix = '/__clerk'

globalThis.Bun.serve({
  port: Number(process.env.PORT),
  hostname: process.env.HOST ?? '127.0.0.1',
  async fetch(request) {
    const url = new URL(request.url)
    const answer = await fetch(upstream + url.pathname.slice(prefix.length) + url.search, { headers: request.headers, redirect: 'manual', decompress: false })
    return new Response(answer.body, { status: answer.status, headers: answer.headers })
  },
})
