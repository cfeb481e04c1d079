/**
 * Prometheus metrics on the Node, Bun and Deno standalone servers: a separate listener, off
 * unless CLERK_PROXY_METRICS_PORT is set; output Prometheus' own checker accepts; counts that
 * match the traffic sent; and nothing a client sends (path parameters, query, cookies, IPs,
 * methods) ever becomes a label.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { serve, type RunningServer } from '../../adapters/node.ts'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { sendBytes, sendRaw } from '../support/http-client.ts'
import { promtoolCheck, sampleValue, scrapeSettled, type Sample } from '../support/prometheus.ts'
import type { SpawnedServer } from '../support/spawn-server.ts'
import { STANDALONE_COMMANDS, standaloneEnv } from '../support/standalone-commands.ts'

const SECRET = 'sk_live_metricsTestSecret0123456789abcdef'
let fapi: FapiStandIn
beforeAll(async () => {
  fapi = await startFapiStandIn()
})
afterAll(async () => {
  await fapi.close()
})

// What a client controls, each of which must stay out of the metrics.
const HOSTILE = ['sess_PATHPARAM7f3a', 'SECRETTOKEN', 'COOKIEVALUE', '6.6.6.6', '127.0.0.1', 'evil_metric', 'PURGE', SECRET]

/** The traffic every runtime gets; the body limit is 16 bytes, so the 64-byte post is refused. */
async function exercise(base: string): Promise<void> {
  for (let i = 0; i < 2; i++) expect((await sendRaw(base, { target: '/__clerk/v1/environment' })).status).toBe(200)
  const client = await sendRaw(base, {
    target: '/__clerk/v1/client?__clerk_db_jwt=SECRETTOKEN',
    headers: { cookie: '__client=COOKIEVALUE', 'x-forwarded-for': '6.6.6.6' },
  })
  expect(client.status).toBe(200)
  await sendRaw(base, { method: 'POST', target: '/__clerk/v1/client/sessions/sess_PATHPARAM7f3a/touch', body: 'a=1' })
  expect((await sendRaw(base, { target: '/__clerk/npm/@clerk/clerk-js@5/dist/clerk.browser.js' })).status).toBe(200)
  await sendRaw(base, { target: '/__clerk/v1/%22%7D%0Aevil_metric%201/"}{x' })
  await sendRaw(base, { method: 'PURGE', target: '/__clerk/v1/environment' })
  const tooLarge = await sendRaw(base, { method: 'POST', target: '/__clerk/v1/client/sign_ins', body: 'x'.repeat(64) })
  expect(tooLarge.status).toBe(413)
  expect((await sendRaw(base, { target: '/healthz' })).status).toBe(200)
}

const ALLOWED_LABELS: Readonly<Record<string, ReadonlySet<string>>> = {
  method: new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'other']),
  status_class: new Set(['1xx', '2xx', '3xx', '4xx', '5xx', 'other']),
  route: new Set(['/v1/client', '/v1/environment', '/npm', 'other', 'outside_prefix']),
  code: new Set(['proxy_configuration_error', 'proxy_request_failed', 'proxy_timeout', 'proxy_bad_request', 'proxy_method_not_allowed', 'proxy_payload_too_large']),
  http_version: new Set(['1.1', '2']),
}

const total = (samples: readonly Sample[], name: string, labels: Record<string, string>): number =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0)

/** What the metrics must say after {@link exercise}, on every runtime. */
function expectMetricsOfExercise(text: string, samples: readonly Sample[]): void {
  const checked = promtoolCheck(text)
  expect(checked.output).toBe('')
  expect(checked.status).toBe(0)

  for (const hostile of HOSTILE) expect(text).not.toContain(hostile)
  for (const sample of samples) {
    for (const [name, value] of Object.entries(sample.labels)) {
      if (name === 'le') continue
      expect(ALLOWED_LABELS[name], `label ${name}`).toBeDefined()
      expect(ALLOWED_LABELS[name]!.has(value), `${name}="${value}"`).toBe(true)
    }
  }

  const requests = 'clerk_proxy_requests_total'
  expect(sampleValue(samples, requests, { method: 'GET', status_class: '2xx', route: '/v1/environment' })).toBe(2)
  expect(total(samples, requests, { method: 'other', route: '/v1/environment' })).toBe(1)
  expect(total(samples, requests, { route: '/v1/client' })).toBe(3)
  expect(sampleValue(samples, requests, { method: 'POST', status_class: '4xx', route: '/v1/client' })).toBeGreaterThanOrEqual(1)
  expect(sampleValue(samples, requests, { method: 'GET', status_class: '2xx', route: '/npm' })).toBe(1)
  expect(total(samples, requests, { route: 'other' })).toBe(1)
  expect(sampleValue(samples, requests, { method: 'GET', status_class: '2xx', route: 'outside_prefix' })).toBe(1)
  expect(total(samples, requests, {})).toBe(9)

  expect(sampleValue(samples, 'clerk_proxy_errors_total', { code: 'proxy_payload_too_large' })).toBe(1)
  expect(sampleValue(samples, 'clerk_proxy_errors_total', { code: 'proxy_timeout' })).toBe(0)
  // Seven requests reached Clerk: every one but the refused post and /healthz.
  expect(total(samples, 'clerk_proxy_upstream_response_headers_seconds_count', {})).toBe(7)
  expect(sampleValue(samples, 'clerk_proxy_upstream_response_headers_seconds_count', { route: '/v1/environment' })).toBe(3)
  expect(total(samples, 'clerk_proxy_request_duration_seconds_count', {})).toBe(9)
  expect(sampleValue(samples, 'clerk_proxy_response_body_bytes_total', { route: '/npm' })).toBeGreaterThan(1000)
  expect(sampleValue(samples, 'clerk_proxy_request_body_bytes_total', { route: '/v1/client' })).toBe(3 + 64)
  expect(sampleValue(samples, 'clerk_proxy_requests_in_flight')).toBe(0)
  expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000)
  expect(sampleValue(samples, 'clerk_proxy_ready')).toBe(1)
  expect(sampleValue(samples, 'clerk_proxy_processes')).toBe(1)
}

describe('metrics on the Node server', () => {
  let running: RunningServer
  beforeAll(async () => {
    running = await serve({ env: {}, secretKey: SECRET, fapiUrl: fapi.url, port: 0, host: '127.0.0.1', log: 'off', handleSignals: false, maxBodySize: 16, metricsPort: 0 })
  })
  afterAll(async () => {
    await running?.shutdown(500)
  })

  test('are off unless a metrics port is set', async () => {
    const plain = await serve({ env: {}, secretKey: SECRET, fapiUrl: fapi.url, port: 0, host: '127.0.0.1', log: 'off', handleSignals: false })
    try {
      expect(plain.metricsUrl).toBeUndefined()
      expect((await sendRaw(plain.url, { target: '/metrics' })).status).toBe(404)
    } finally {
      await plain.shutdown(500)
    }
  })

  test('listen apart from the proxy, on 127.0.0.1 by default', async () => {
    const apart = await serve({ env: {}, secretKey: SECRET, fapiUrl: fapi.url, port: 0, host: '127.0.0.1', log: 'off', handleSignals: false, metricsPort: 0 })
    try {
      expect(apart.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(apart.metricsUrl).not.toBe(apart.url)
      expect((await sendRaw(apart.url, { target: '/metrics' })).status).toBe(404)
      expect((await sendRaw(apart.metricsUrl!, { target: '/metrics' })).status).toBe(200)
    } finally {
      await apart.shutdown(500)
    }
  })

  test('count the traffic by method, status class and route group, pass promtool, and hold nothing a client sent', async () => {
    await exercise(running.url)
    const { text, samples } = await scrapeSettled(running.metricsUrl!)
    expectMetricsOfExercise(text, samples)
    expect(sampleValue(samples, 'clerk_proxy_upstream_connections_opened_total', { http_version: '1.1' })).toBeGreaterThanOrEqual(1)
    expect(sampleValue(samples, 'clerk_proxy_upstream_connections_open', { http_version: '1.1' })).toBeGreaterThanOrEqual(1)
    expect(sampleValue(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0)
  })

  test('count malformed requests refused before they reach the proxy (parser, unparseable Host) as proxy_bad_request', async () => {
    const strict = await serve({ env: {}, secretKey: SECRET, fapiUrl: fapi.url, port: 0, host: '127.0.0.1', log: 'off', handleSignals: false, metricsPort: 0 })
    try {
      const badHost = await sendBytes(strict.url, 'GET /__clerk/v1/client HTTP/1.1\r\nHost: a b\\c\r\nConnection: close\r\n\r\n')
      expect(badHost).toMatch(/^HTTP\/1\.1 400 /)
      const bigHeader = await sendBytes(strict.url, `GET /__clerk/v1/client HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`)
      expect(bigHeader).toMatch(/^HTTP\/1\.1 431 /)
      const { samples } = await scrapeSettled(strict.metricsUrl!)
      expect(sampleValue(samples, 'clerk_proxy_errors_total', { code: 'proxy_bad_request' })).toBe(2)
    } finally {
      await strict.shutdown(500)
    }
  })

  test('count an upstream timeout under its own code', async () => {
    const impatient = await serve({ env: {}, secretKey: SECRET, fapiUrl: fapi.url, port: 0, host: '127.0.0.1', log: 'off', handleSignals: false, timeout: 200, metricsPort: 0 })
    try {
      expect((await sendRaw(impatient.url, { target: '/__clerk/slow-headers?ms=5000' })).status).toBe(504)
      const { samples } = await scrapeSettled(impatient.metricsUrl!)
      expect(sampleValue(samples, 'clerk_proxy_errors_total', { code: 'proxy_timeout' })).toBe(1)
      expect(sampleValue(samples, 'clerk_proxy_requests_total', { method: 'GET', status_class: '5xx', route: 'other' })).toBe(1)
    } finally {
      await impatient.shutdown(500)
    }
  })
})

for (const name of ['Bun', 'Deno'] as const) {
  describe(`metrics on the ${name} server`, () => {
    let server: SpawnedServer
    beforeAll(async () => {
      server = await STANDALONE_COMMANDS[name](standaloneEnv(SECRET, fapi.url, { CLERK_PROXY_MAX_BODY: '16', CLERK_PROXY_LOG: 'off', CLERK_PROXY_METRICS_PORT: '0' }))
    }, 60_000)
    afterAll(async () => {
      await server?.stop()
    })

    test('count the traffic, pass promtool, and hold nothing a client sent', async () => {
      const metricsUrl = /metrics:\s+(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(server.output())?.[1]
      expect(metricsUrl, server.output()).toBeDefined()
      await exercise(server.baseUrl)
      const { text, samples } = await scrapeSettled(metricsUrl!)
      expectMetricsOfExercise(text, samples)
    })
  })
}
