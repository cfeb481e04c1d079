/**
 * `npm run demo`: see the proxy work without a Clerk account. Starts
 *   - a local stand-in for Clerk's Frontend API (serving the real @clerk/clerk-js bundle),
 *   - the proxy in front of it (`serve()` from the Node adapter, what `clerk-proxy` runs),
 *   - an app page that loads clerk-js through the proxy and signs in,
 * and shows, on the page, what the proxy changed on the last request.
 *
 * PORT (default 3000) is the app page; the proxy listens on PORT + 1. Everything binds
 * 127.0.0.1.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { serve } from '../adapters/node.ts'
import { appPageHtml } from '../test/support/app-page.ts'
import { startAppServer } from '../test/support/app-server.ts'
import {
  CLERK_JS_VERSION,
  DEMO_FAPI_HOST,
  DEMO_PUBLISHABLE_KEY,
  DEMO_SECRET_KEY,
  DEMO_USER,
  startClerkJsStandIn,
  type Answer,
} from '../test/support/clerk-js-stand-in.ts'

/** One request as the browser sent it to the proxy, and what the proxy answered. */
interface ProxyExchange {
  seq: number
  method: string
  url: string
  peer: string | undefined
  headers: Record<string, string | string[] | undefined>
  status?: number
  location?: string
  setCookies: string[]
}

const appPort = Number(process.env.PORT ?? 3000)
const proxyPort = appPort + 1
const PROXY_PATH = '/__clerk'

const clerk = await startClerkJsStandIn()
const proxy = await serve({
  env: {},
  port: proxyPort,
  host: '127.0.0.1',
  secretKey: DEMO_SECRET_KEY,
  publishableKey: DEMO_PUBLISHABLE_KEY,
  fapiUrl: clerk.fapi.url,
  handleSignals: false,
})
const proxyUrl = `http://localhost:${proxyPort}${PROXY_PATH}`

// Observe (never change) what reaches the proxy and what it sends back to the browser.
const exchanges: ProxyExchange[] = []
let seq = 0
proxy.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
  if (!(req.url ?? '').startsWith(`${PROXY_PATH}/`)) return
  const exchange: ProxyExchange = {
    seq: ++seq,
    method: req.method ?? 'GET',
    url: req.url ?? '',
    peer: req.socket.remoteAddress,
    headers: { ...req.headers },
    setCookies: [],
  }
  const writeHead = res.writeHead
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]): ServerResponse {
    exchange.status = status
    const headers = rest.find((r): r is OutgoingHttpHeaders => typeof r === 'object' && r !== null && !Array.isArray(r))
    const location = headers?.location ?? res.getHeader('location')
    if (location !== undefined) exchange.location = String(location)
    const cookies = headers?.['set-cookie'] ?? res.getHeader('set-cookie')
    if (cookies !== undefined) exchange.setCookies = (Array.isArray(cookies) ? cookies : [String(cookies)]).map(cookieName)
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, status, ...rest)
  } as ServerResponse['writeHead']
  res.once('finish', () => {
    exchanges.push(exchange)
    if (exchanges.length > 50) exchanges.shift()
  })
})

const banner =
  `Demo mode: the upstream is a LOCAL STAND-IN for Clerk's Frontend API (${clerk.fapi.url}), not Clerk. ` +
  `No Clerk account or keys are involved: the pk_live_ key names the made-up host ${DEMO_FAPI_HOST} and the secret key is fake. ` +
  `The clerk-js code is the real @clerk/clerk-js ${CLERK_JS_VERSION}, which the stand-in serves from node_modules, through the proxy.`

const app = await startAppServer(
  appPageHtml({
    publishableKey: DEMO_PUBLISHABLE_KEY,
    proxyUrl,
    clerkJsVersion: CLERK_JS_VERSION.split('.')[0] ?? CLERK_JS_VERSION,
    email: DEMO_USER.email,
    password: DEMO_USER.password,
    panelUrl: '/demo/last-exchange',
    banner,
  }),
  {
    port: appPort,
    extra(req, res) {
      if (req.url !== '/demo/last-exchange') return false
      const body = JSON.stringify(lastExchange() ?? {})
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(body)
      return true
    },
  },
)

/**
 * The newest finished exchange, set side by side with what the stand-in received for it, plus
 * the newest redirect (where the `Location` rewrite shows).
 */
function lastExchange(): Record<string, unknown> | undefined {
  const [last] = newestMatched(() => true, 1)
  if (!last) return undefined
  const redirects = newestMatched((e) => e.location !== undefined, 3).reverse()
  return {
    ...describe(...last),
    id: `${last[0].seq}-${redirects.at(-1)?.[0].seq ?? 0}`,
    redirects: redirects.map((r) => describe(...r)),
  }
}

/** Up to `count` newest exchanges passing `filter`, each with the stand-in's answer to it. */
function newestMatched(filter: (e: ProxyExchange) => boolean, count: number): [ProxyExchange, Answer][] {
  const found: [ProxyExchange, Answer][] = []
  for (let i = exchanges.length - 1; i >= 0 && found.length < count; i--) {
    const exchange = exchanges[i]!
    if (!filter(exchange)) continue
    const upstreamTarget = exchange.url.slice(PROXY_PATH.length)
    const answer = findLast(clerk.answers, (a) => a.request.method === exchange.method && a.request.url === upstreamTarget)
    if (answer) found.push([exchange, answer])
  }
  return found
}

function describe(exchange: ProxyExchange, answer: Answer): Record<string, unknown> {
  const sent = exchange.headers
  const received = answer.request.headers
  const shown = (name: string, value: string | string[] | undefined): string =>
    name === 'clerk-secret-key' ? `${String(value).slice(0, 8)}… (hidden)` : name === 'cookie' ? '(cookies)' : String(value)
  const added: { name: string; value: string }[] = []
  const replaced: { name: string; from: string; to: string }[] = []
  const removed: { name: string; value: string }[] = []
  for (const [name, value] of Object.entries(received)) {
    if (!(name in sent)) added.push({ name, value: shown(name, value) })
    else if (String(sent[name]) !== String(value)) replaced.push({ name, from: shown(name, sent[name]), to: shown(name, value) })
  }
  for (const [name, value] of Object.entries(sent)) if (!(name in received)) removed.push({ name, value: shown(name, value) })
  return {
    id: String(exchange.seq),
    method: exchange.method,
    browserPath: exchange.url,
    fapiUrl: clerk.fapi.url + answer.request.url,
    status: exchange.status,
    peer: exchange.peer,
    forwardedFor: received['x-forwarded-for'] ?? '(none)',
    added,
    replaced,
    removed,
    location: answer.location ? { fromFapi: answer.location, toBrowser: exchange.location ?? '(none)' } : null,
    setCookies: exchange.setCookies,
  }
}

function findLast<T>(items: readonly T[], predicate: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return items[i]
  return undefined
}

function cookieName(cookie: string): string {
  return cookie.slice(0, Math.max(0, cookie.indexOf('=')))
}

console.log(`
  Clerk FAPI proxy demo (no Clerk account needed)

  Open   http://localhost:${appPort}/        the app page
         ${proxyUrl}    the proxy (Node adapter), in front of
         ${clerk.fapi.url}           a LOCAL STAND-IN for Clerk's Frontend API (not Clerk)

  Sign in as ${DEMO_USER.email} / "${DEMO_USER.password}" (prefilled), or through the
  OAuth provider stand-in; the panel shows what the proxy changed on each request.
  Ctrl+C stops everything.
`)

let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) process.exit(1)
  stopping = true
  await Promise.all([app.close(), proxy.shutdown(1000), clerk.close()])
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
