import { request, Agent } from 'node:http'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { serve, type RunningServer } from '../adapters/node.ts'
import { startFapiStandIn, type FapiStandIn } from './support/fapi-stand-in.ts'

let fapi: FapiStandIn
let proxy: RunningServer

beforeAll(async () => {
  fapi = await startFapiStandIn()
  proxy = await serve({ env: {}, secretKey: 'sk_live_headTestSecret', fapiUrl: fapi.url, port: 0, host: '127.0.0.1', log: 'off', handleSignals: false })
})
afterAll(async () => {
  await proxy?.shutdown(500)
  await fapi?.close()
})

/** One request on `agent`; resolves with status, headers, body length and the socket used. */
function send(agent: Agent, method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; bodyBytes: number; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${proxy.url}${path}`, { method, agent }, (res) => {
      let bodyBytes = 0
      res.on('data', (chunk: Buffer) => (bodyBytes += chunk.length))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bodyBytes, socket: req.socket }))
    })
    req.on('error', reject)
    req.setTimeout(15_000, () => req.destroy(new Error('timed out')))
    req.end()
  })
}

test('HEAD answers with the GET headers and no body, without an error, on a connection that stays usable', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  // @hono/node-server reports a response it failed to write with console.error (and destroys it).
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
  try {
    const get = await send(agent, 'GET', '/__clerk/cookies')
    const head = await send(agent, 'HEAD', '/__clerk/cookies')
    const after = await send(agent, 'GET', '/__clerk/v1/environment')
    expect(head.status).toBe(200)
    expect(head.bodyBytes).toBe(0)
    expect(head.headers['set-cookie']).toEqual(get.headers['set-cookie'])
    expect((head.headers['set-cookie'] as string[]).length).toBeGreaterThan(1)
    expect(after.status).toBe(200)
    // The same socket carried all three: answering HEAD did not tear the connection down.
    expect(head.socket).toBe(get.socket)
    expect(after.socket).toBe(head.socket)
    expect(errors.mock.calls.map((args) => String(args[0]))).toEqual([])
  } finally {
    errors.mockRestore()
    agent.destroy()
  }
})
