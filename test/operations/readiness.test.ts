/**
 * `/readyz` beside `/healthz` on the Node (CLI), Bun and Deno standalone servers: ready when
 * Clerk can be reached, 503 while it cannot (liveness stays 200), and 503 "draining" after
 * SIGTERM while in-flight requests finish, as the metrics listener (which stays up) reports.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { sendRaw } from '../support/http-client.ts'
import { parseSamples, sampleValue } from '../support/prometheus.ts'
import type { SpawnedServer } from '../support/spawn-server.ts'
import { STANDALONE_COMMANDS, standaloneEnv } from '../support/standalone-commands.ts'

const SECRET = 'sk_live_readinessTestSecret0123456789'


let fapi: FapiStandIn
/** A Frontend API that cannot be reached: every connection is cut before a byte is answered. */
let unreachable: Server
let unreachableUrl: string
beforeAll(async () => {
  fapi = await startFapiStandIn()
  unreachable = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => unreachable.listen(0, '127.0.0.1', resolve))
  unreachableUrl = `http://127.0.0.1:${(unreachable.address() as { port: number }).port}`
})
afterAll(async () => {
  await fapi.close()
  await new Promise((resolve) => unreachable.close(resolve))
})

const baseEnv = (fapiUrl: string): Record<string, string> => standaloneEnv(SECRET, fapiUrl, { CLERK_PROXY_LOG: 'pretty', CLERK_PROXY_METRICS_PORT: '0' })

const metricsUrlOf = (server: SpawnedServer): string => {
  const url = /metrics[=:]\s*(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(server.output())?.[1]
  if (!url) throw new Error(`no metrics URL in the start-up output:\n${server.output()}`)
  return url
}

async function readyz(baseUrl: string): Promise<{ status: number; body: unknown }> {
  const response = await sendRaw(baseUrl, { target: '/readyz' })
  return { status: response.status, body: JSON.parse(response.body.toString()) }
}

for (const [name, start] of Object.entries(STANDALONE_COMMANDS)) {
  describe(`/readyz on the ${name} server`, () => {
    const servers: SpawnedServer[] = []
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()))
    })
    const started = async (env: Record<string, string>): Promise<SpawnedServer> => {
      const server = await start(env)
      servers.push(server)
      return server
    }

    test('is ready before the first request when Clerk answers, on the proxy port and the metrics port', async () => {
      const server = await started(baseEnv(fapi.url))
      expect(await readyz(server.baseUrl)).toEqual({ status: 200, body: { status: 'ready' } })
      expect(await readyz(metricsUrlOf(server))).toEqual({ status: 200, body: { status: 'ready' } })
    })

    test('is not ready while Clerk cannot be reached, and /healthz stays alive', async () => {
      const server = await started(baseEnv(unreachableUrl))
      expect(await readyz(server.baseUrl)).toEqual({ status: 503, body: { status: 'not_ready', reason: 'upstream_unreachable' } })
      expect((await sendRaw(server.baseUrl, { target: '/healthz' })).status).toBe(200)
      const metrics = parseSamples(await (await fetch(`${metricsUrlOf(server)}/metrics`)).text())
      expect(sampleValue(metrics, 'clerk_proxy_ready')).toBe(0)
    })

    test('answers 503 draining after SIGTERM while a request is still in flight, which then completes', async () => {
      const server = await started(baseEnv(fapi.url))
      const metricsUrl = metricsUrlOf(server)
      expect((await readyz(metricsUrl)).status).toBe(200)
      const t = randomBytes(6).toString('hex')
      const held = sendRaw(server.baseUrl, { target: `/__clerk/hold?t=${t}` })
      await fapi.waitFor((r) => r.url === `/hold?t=${t}`)
      process.kill(server.pid, 'SIGTERM')
      let state = await readyz(metricsUrl)
      for (let i = 0; i < 500 && state.status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        state = await readyz(metricsUrl)
      }
      expect(state, server.output()).toEqual({ status: 503, body: { status: 'not_ready', reason: 'draining' } })
      fapi.release()
      expect((await held).status).toBe(200)
      expect(await server.exited).toBe(0)
    })
  })
}
