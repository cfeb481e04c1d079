/**
 * The Prometheus configuration in docs/operating.md is real: promtool accepts the scrape
 * config and the alert rules, and every clerk_proxy_* series the rules read is one the
 * servers expose.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { createProxyMetrics } from '../../src/metrics/proxy-metrics.ts'

const doc = readFileSync(new URL('../../docs/operating.md', import.meta.url), 'utf8')
const yamlBlock = (firstLine: string): string => {
  const block = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith(firstLine))
  if (!block) throw new Error(`no yaml block starting with ${firstLine} in docs/operating.md`)
  return block
}
const work = mkdtempSync(join(tmpdir(), 'operating-docs-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8', timeout: 30_000 })
  if (run.error) throw new Error(`promtool is not runnable (apt-get install prometheus): ${run.error.message}`)
  return { status: run.status, output: run.stdout + run.stderr }
}

test('promtool accepts the example scrape config', () => {
  const file = join(work, 'prometheus.yml')
  writeFileSync(file, yamlBlock('# prometheus.yml'))
  const checked = promtool('check', 'config', '--syntax-only', file)
  expect(checked.status, checked.output).toBe(0)
})

test('promtool accepts the alert rules, which read only series the servers expose', () => {
  const rules = yamlBlock('# clerk-proxy-alerts.yml')
  const file = join(work, 'alerts.yml')
  writeFileSync(file, rules)
  const checked = promtool('check', 'rules', file)
  expect(checked.status, checked.output).toBe(0)
  expect(checked.output).toContain('SUCCESS: 5 rules found')

  const exposed = new Set<string>()
  for (const family of createProxyMetrics('/__clerk', { ready: () => true }).registry.snapshot()) {
    exposed.add(family.name)
    if (family.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(family.name + suffix)
  }
  const read = [...new Set(rules.match(/clerk_proxy_\w+/g))]
  expect(read.length).toBeGreaterThan(3)
  for (const name of read) expect(exposed.has(name), name).toBe(true)
})
