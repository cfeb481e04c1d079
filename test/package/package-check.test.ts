// Runs scripts/package-check.mjs: the package installed from its npm tarball outside the repo
// (Node, tsc, CLI, Bun), the JSR sources under Deno, and the edge bundles. `npm test` builds
// first, so the tarball holds this build. The script's own output lists every check.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { exportEntries } from '../../scripts/manifests.mjs'

const root = join(import.meta.dirname, '..', '..')

it('installs and works the way users install it (npm tarball, Bun, Deno/JSR, edge bundles)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'package-check-report-'))
  const reportFile = join(dir, 'report.json')
  try {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'scripts/package-check.mjs'), '--json', reportFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      child.stdout.on('data', (d) => (output += d))
      child.stderr.on('data', (d) => (output += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), 280_000)
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({ code, output })
      })
    })
    console.log(output)
    expect(code, output).toBe(0)
    const report = JSON.parse(readFileSync(reportFile, 'utf8'))
    expect(report.failures).toEqual([])
    expect(report.exports).toEqual(exportEntries(root).map((e) => e.key))
    // The core is bundled for a worker with no Node built-ins, whatever adapters exist.
    expect(report.bundles.map((b: { export: string }) => b.export)).toContain('.')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 300_000)
