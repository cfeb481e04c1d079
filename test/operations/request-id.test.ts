/**
 * Request ids on the standalone servers: `X-Request-Id` is taken only from a trusted proxy
 * (TRUST_PROXY) or made by the server, sent back on the response, written in the access-log
 * line, and never forwarded to Clerk (neither a client's nor ours).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { serve, type AccessLogEntry, type RunningServer, type ServeOptions } from '../../adapters/node.ts'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { headerValues, sendRaw } from '../support/http-client.ts'
import type { SpawnedServer } from '../support/spawn-server.ts'
import { STANDALONE_COMMANDS, standaloneEnv } from '../support/standalone-commands.ts'

const SECRET = 'sk_live_requestIdTestSecret0123456789'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
let fapi: FapiStandIn
beforeAll(async () => {
  fapi = await startFapiStandIn()
  // Clerk answering with an id of its own.
  fapi.routes.push((req, res) => {
    if (!req.url?.startsWith('/with-request-id')) return false
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'clerk-own-id' })
    res.end('{}')
    return true
  })
})
afterAll(async () => {
  await fapi.close()
})

const tag = (): string => randomBytes(6).toString('hex')

interface Target {
  readonly url: string
  /** The access-log lines for requests whose path contains `tag`, once there are `count` of them. */
  logged(tag: string, count: number): Promise<{ path: string; requestId?: string }[]>
}

/** The same behaviour, whatever runtime serves it; `trusted` says whether 127.0.0.1 is a trusted proxy. */
function describeRequestIds(name: string, start: (trusted: boolean) => Promise<Target>, stopAll: () => Promise<void>): void {
  describe(`request ids on the ${name} server`, () => {
    let open: Target
    let behindProxy: Target
    beforeAll(async () => {
      open = await start(false)
      behindProxy = await start(true)
    }, 60_000)
    afterAll(stopAll)

    test('a request without one gets a new id, on the response and in its log line; Clerk gets none', async () => {
      const t = tag()
      const first = await sendRaw(open.url, { target: `/__clerk/echo/${t}` })
      const second = await sendRaw(open.url, { target: `/__clerk/echo/${t}` })
      const ids = [first, second].map((r) => headerValues(r.rawHeaders, 'x-request-id'))
      expect(ids[0]).toHaveLength(1)
      expect(ids[0]![0]).toMatch(UUID)
      expect(ids[1]![0]).toMatch(UUID)
      expect(ids[1]![0]).not.toBe(ids[0]![0])
      for (const seen of fapi.requests.filter((r) => r.url.includes(t))) expect(headerValues(seen.rawHeaders, 'x-request-id')).toEqual([])
      const lines = await open.logged(t, 2)
      expect(lines.map((l) => l.requestId).sort()).toEqual([ids[0]![0], ids[1]![0]].sort())
    })

    test("a client's own id is replaced and never reaches Clerk", async () => {
      const t = tag()
      const response = await sendRaw(open.url, { target: `/__clerk/echo/${t}`, headers: { 'x-request-id': `client-chosen-${t}` } })
      const [id] = headerValues(response.rawHeaders, 'x-request-id')
      expect(id).toMatch(UUID)
      const seen = await fapi.waitFor((r) => r.url.includes(t))
      expect(headerValues(seen.rawHeaders, 'x-request-id')).toEqual([])
      expect((await open.logged(t, 1)).map((l) => l.requestId)).toEqual([id])
    })

    test("behind a trusted proxy, the proxy's id is kept and logged, and still not sent to Clerk", async () => {
      const t = tag()
      const response = await sendRaw(behindProxy.url, { target: `/__clerk/echo/${t}`, headers: { 'x-request-id': `lb-${t}` } })
      expect(headerValues(response.rawHeaders, 'x-request-id')).toEqual([`lb-${t}`])
      const seen = await fapi.waitFor((r) => r.url.includes(t))
      expect(headerValues(seen.rawHeaders, 'x-request-id')).toEqual([])
      expect((await behindProxy.logged(t, 1)).map((l) => l.requestId)).toEqual([`lb-${t}`])
    })

    test('a malformed id, even from a trusted proxy, is replaced', async () => {
      for (const bad of ['has space', 'x'.repeat(129), 'quote"d']) {
        const response = await sendRaw(behindProxy.url, { target: `/__clerk/v1/environment`, headers: { 'x-request-id': bad } })
        expect(headerValues(response.rawHeaders, 'x-request-id')[0]).toMatch(UUID)
      }
    })

    test("Clerk's own X-Request-Id does not replace the proxy's", async () => {
      const response = await sendRaw(open.url, { target: '/__clerk/with-request-id' })
      const ids = headerValues(response.rawHeaders, 'x-request-id')
      expect(ids).toHaveLength(1)
      expect(ids[0]).toMatch(UUID)
    })

    test('proxy errors and /healthz carry an id too', async () => {
      const refused = await sendRaw(open.url, { method: 'TRACE', target: '/__clerk/v1/client' })
      expect(refused.status).toBe(405)
      expect(headerValues(refused.rawHeaders, 'x-request-id')[0]).toMatch(UUID)
      expect(headerValues((await sendRaw(open.url, { target: '/healthz' })).rawHeaders, 'x-request-id')[0]).toMatch(UUID)
    })
  })
}

// Node, in process, with a logger that keeps its entries.
const nodeServers: RunningServer[] = []
describeRequestIds(
  'Node',
  async (trusted) => {
    const entries: AccessLogEntry[] = []
    const log: ServeOptions['log'] = { access: (e) => void entries.push(e), info() {}, error() {} }
    const running = await serve({ env: {}, secretKey: SECRET, fapiUrl: fapi.url, port: 0, host: '127.0.0.1', log, handleSignals: false, trustProxy: trusted ? 'loopback' : undefined })
    nodeServers.push(running)
    return { url: running.url, logged: async (t, count) => entriesOnceThere(count, () => entries.filter((e) => e.path.includes(t))) }
  },
  async () => void (await Promise.all(nodeServers.map((s) => s.shutdown(500)))),
)

// Bun and Deno as their documented commands, reading the JSON access log they print.
const spawned: SpawnedServer[] = []
for (const name of ['Bun', 'Deno'] as const) {
  describeRequestIds(
    name,
    async (trusted) => {
      const server = await STANDALONE_COMMANDS[name](standaloneEnv(SECRET, fapi.url, { CLERK_PROXY_LOG: 'json', ...(trusted ? { TRUST_PROXY: 'loopback' } : {}) }))
      spawned.push(server)
      const lines = (): { msg: string; path: string; requestId?: string }[] =>
        server
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { msg: string; path: string; requestId?: string })
      return { url: server.baseUrl, logged: async (t, count) => entriesOnceThere(count, () => lines().filter((l) => l.msg === 'request' && l.path.includes(t))) }
    },
    async () => void (await Promise.all(spawned.splice(0).map((s) => s.stop()))),
  )
}

/**
 * The entries once `count` are there: a server writes the line when the response has closed,
 * which can be a moment after the client read it (at most 500 looks, 20 ms apart).
 */
async function entriesOnceThere<T>(count: number, read: () => T[]): Promise<T[]> {
  for (let i = 0; i < 500 && read().length < count; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return read()
}
