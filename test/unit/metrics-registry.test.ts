import { describe, expect, test } from 'vitest'
import { routeGroup } from '../../src/metrics/proxy-metrics.ts'
import { mergeSnapshots, Registry, renderExposition } from '../../src/metrics/registry.ts'
import { parseSamples, promtoolCheck, sampleValue } from '../support/prometheus.ts'

describe('the metrics registry', () => {
  test('histograms are written cumulative, with +Inf, _sum and _count', () => {
    const registry = new Registry()
    const h = registry.histogram({ name: 't_seconds', help: 'time', labelNames: ['route'] }, [0.1, 1])
    for (const v of [0.05, 0.5, 0.7, 3]) h.observe(['a'], v)
    const samples = parseSamples(renderExposition(registry.snapshot()))
    expect(sampleValue(samples, 't_seconds_bucket', { route: 'a', le: '0.1' })).toBe(1)
    expect(sampleValue(samples, 't_seconds_bucket', { route: 'a', le: '1' })).toBe(3)
    expect(sampleValue(samples, 't_seconds_bucket', { route: 'a', le: '+Inf' })).toBe(4)
    expect(sampleValue(samples, 't_seconds_count', { route: 'a' })).toBe(4)
    expect(sampleValue(samples, 't_seconds_sum', { route: 'a' })).toBeCloseTo(4.25)
  })

  test('label values are escaped so a value cannot end its label or line', () => {
    const registry = new Registry()
    registry.counter({ name: 'c_total', help: 'a "help" with \\ and\nnewline', labelNames: ['v'] }).inc(['q"uote\\back\nline'])
    const text = renderExposition(registry.snapshot())
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' })
    expect(parseSamples(text)[0]!.labels['v']).toBe('q"uote\\back\nline')
  })

  test('snapshots from several processes add up series by series; start times keep the earliest', () => {
    const worker = (requests: number, started: number) => {
      const registry = new Registry()
      registry.counter({ name: 'r_total', help: 'r', labelNames: ['route'] }).inc(['x'], requests)
      registry.gauge({ name: 'start_seconds', help: 's', across: 'min' }).set([], started)
      registry.histogram({ name: 'd_seconds', help: 'd' }, [1]).observe([], requests)
      return registry.snapshot()
    }
    const samples = parseSamples(renderExposition(mergeSnapshots([worker(3, 200), worker(0.5, 100)])))
    expect(sampleValue(samples, 'r_total', { route: 'x' })).toBe(3.5)
    expect(sampleValue(samples, 'start_seconds')).toBe(100)
    expect(sampleValue(samples, 'd_seconds_bucket', { le: '1' })).toBe(1)
    expect(sampleValue(samples, 'd_seconds_count')).toBe(2)
  })
})

describe('route groups, the only path information in a label', () => {
  test.each([
    ['/__clerk/v1/client', '/v1/client'],
    ['/__clerk/v1/client/sessions/sess_123/touch', '/v1/client'],
    ['/__clerk/v1/clientx', 'other'],
    ['/__clerk/v1/environment', '/v1/environment'],
    ['/__clerk/v1/environment/x', 'other'],
    ['/__clerk/npm/@clerk/clerk-js@5/dist/clerk.browser.js', '/npm'],
    ['/__clerk/v1/me', 'other'],
    ['/healthz', 'outside_prefix'],
    ['/__clerkx/v1/client', 'outside_prefix'],
  ])('%s is %s', (path, group) => {
    expect(routeGroup(path, '/__clerk')).toBe(group)
  })
})
