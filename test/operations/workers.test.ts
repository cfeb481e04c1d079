/**
 * `clerk-proxy --workers N` (node:cluster): N workers share one port behind one start-up line;
 * the metrics listener adds up every worker's figures; a worker that dies is replaced; SIGTERM
 * drains every worker (in-flight requests finish) and the whole cluster exits 0.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { sendRaw } from '../support/http-client.ts'
import { parseSamples, promtoolCheck, sampleValue } from '../support/prometheus.ts'
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts'

const SECRET = 'sk_live_workersTestSecret0123456789ab'
const cli = fileURLToPath(new URL('../../bin/clerk-proxy.js', import.meta.url))

/** The pids of a process's children, as Linux lists them. */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
  return text === '' ? [] : text.split(/\s+/).map(Number)
}

/** Polls `read` until `done` says so: at most 1000 looks, 20 ms apart. */
async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read()
  for (let i = 0; i < 1000 && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    value = await read()
  }
  return value
}

describe('clerk-proxy --workers 2', () => {
  let fapi: FapiStandIn
  let cluster: SpawnedServer
  let metricsUrl: string
  beforeAll(async () => {
    fapi = await startFapiStandIn()
    cluster = await spawnServer(process.execPath, [cli, '--workers', '2'], {
      PATH: process.env['PATH'] ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      CLERK_SECRET_KEY: SECRET,
      CLERK_FAPI_URL: fapi.url,
      CLERK_PROXY_LOG: 'pretty',
      CLERK_PROXY_METRICS_PORT: '0',
    }, 60_000)
    metricsUrl = /metrics=(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(cluster.output())![1]!
  }, 90_000)
  afterAll(async () => {
    await cluster?.stop()
    await fapi?.close()
  })

  test('starts two workers behind one start-up line', () => {
    expect(cluster.output().match(/listening on/g)).toHaveLength(1)
    expect(cluster.output()).toContain('(2 workers)')
    expect(childrenOf(cluster.pid)).toHaveLength(2)
  })

  test('the metrics listener adds up what every worker served, in a format promtool accepts', async () => {
    const before = parseSamples(await (await fetch(`${metricsUrl}/metrics`)).text())
    const served = sampleValue(before, 'clerk_proxy_requests_total', { method: 'GET', status_class: '2xx', route: '/v1/environment' })
    // A fresh connection each: the primary hands connections to the workers in turn.
    for (let i = 0; i < 20; i++) expect((await sendRaw(cluster.baseUrl, { target: '/__clerk/v1/environment' })).status).toBe(200)
    const text = await eventually(
      async () => (await fetch(`${metricsUrl}/metrics`)).text(),
      // Every worker answered the scrape, and every request has been counted.
      (t) => sampleValue(parseSamples(t), 'clerk_proxy_processes') === 2 && sampleValue(parseSamples(t), 'clerk_proxy_requests_in_flight') === 0,
    )
    const samples = parseSamples(text)
    expect(sampleValue(samples, 'clerk_proxy_requests_total', { method: 'GET', status_class: '2xx', route: '/v1/environment' }) - served).toBe(20)
    expect(sampleValue(samples, 'clerk_proxy_processes')).toBe(2)
    expect(sampleValue(samples, 'clerk_proxy_upstream_connections_opened_total', { http_version: '1.1' })).toBeGreaterThanOrEqual(1)
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' })
  })

  test('a worker that dies is replaced', async () => {
    const [victim] = childrenOf(cluster.pid)
    process.kill(victim!, 'SIGKILL')
    const after = await eventually(() => childrenOf(cluster.pid), (pids) => pids.length === 2 && !pids.includes(victim!))
    expect(after).toHaveLength(2)
    expect(after).not.toContain(victim)
    await eventually(() => cluster.output(), (out) => out.includes('worker exited, starting another'))
    expect((await sendRaw(cluster.baseUrl, { target: '/__clerk/v1/environment' })).status).toBe(200)
  })

  test('SIGTERM lets in-flight requests finish in every worker, then the cluster exits 0', async () => {
    const workers = childrenOf(cluster.pid)
    const tags = [0, 1, 2, 3].map(() => randomBytes(6).toString('hex'))
    const held = tags.map((t) => sendRaw(cluster.baseUrl, { target: `/__clerk/hold?t=${t}` }))
    for (const t of tags) await fapi.waitFor((r) => r.url === `/hold?t=${t}`)
    process.kill(cluster.pid, 'SIGTERM')
    await eventually(() => cluster.output(), (out) => out.includes('shutting down'))
    fapi.release()
    for (const response of await Promise.all(held)) expect(response.status).toBe(200)
    expect(await cluster.exited).toBe(0)
    expect(cluster.output().match(/^stopped$/gm)).toHaveLength(1)
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow()
  })
})
