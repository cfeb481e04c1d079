// `npm run version:bump` keeps package.json, deno.json, jsr.json and package-lock.json on one
// version and dates the changelog; tried on a copy of the repository's own files.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { bumpVersion, nextVersion, releaseChangelog } from '../scripts/version-bump.mjs'

const root = join(import.meta.dirname, '..')
const FILES = ['package.json', 'deno.json', 'jsr.json', 'package-lock.json', 'CHANGELOG.md']
const current: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version
let copy = ''

function freshCopy(): string {
  copy = mkdtempSync(join(tmpdir(), 'version-bump-'))
  for (const f of FILES) copyFileSync(join(root, f), join(copy, f))
  return copy
}
const read = (name: string): string => readFileSync(join(copy, name), 'utf8')
const versionOf = (name: string): string => JSON.parse(read(name)).version

afterEach(() => rmSync(copy, { recursive: true, force: true }))

describe('npm run version:bump', () => {
  it('sets one version in all manifests and the lock file, changing nothing else', () => {
    const dir = freshCopy()
    const before = Object.fromEntries(FILES.map((f) => [f, read(f)]))
    const out = execFileSync(process.execPath, [join(root, 'scripts/version-bump.mjs'), '7.8.9', '--date', '2030-01-02'], { cwd: dir, encoding: 'utf8' })
    expect(out.trim()).toBe(`${current} -> 7.8.9: package.json, deno.json, jsr.json, package-lock.json, CHANGELOG.md`)
    for (const f of ['package.json', 'deno.json', 'jsr.json', 'package-lock.json']) {
      expect(versionOf(f)).toBe('7.8.9')
      // Only the version strings changed: formatting and every other field are untouched.
      const expected = before[f]!.replace(`"version": "${current}"`, '"version": "7.8.9"')
      expect(read(f)).toBe(f === 'package-lock.json' ? expected.replace(`"version": "${current}"`, '"version": "7.8.9"') : expected)
    }
    const lock = JSON.parse(read('package-lock.json'))
    expect(lock.packages[''].version).toBe('7.8.9')
    // Dependencies that happen to share the old version number are not touched.
    for (const [path, entry] of Object.entries<{ version?: string }>(lock.packages)) {
      if (path !== '') expect(entry.version).toBe(JSON.parse(before['package-lock.json']!).packages[path].version)
    }
    expect(read('CHANGELOG.md')).toContain('## [Unreleased]\n\n## [7.8.9] - 2030-01-02\n')
  })

  it('bumps patch, minor and major from the current version', () => {
    const dir = freshCopy()
    const [major, minor, patch] = current.split('-')[0]!.split('.').map(Number) as [number, number, number]
    expect(bumpVersion(dir, 'patch', '2030-01-01').to).toBe(`${major}.${minor}.${patch + 1}`)
    expect(bumpVersion(dir, 'minor', '2030-01-01').to).toBe(`${major}.${minor + 1}.0`)
    expect(bumpVersion(dir, 'major', '2030-01-01').to).toBe(`${major + 1}.0.0`)
    expect(new Set(['package.json', 'deno.json', 'jsr.json', 'package-lock.json'].map(versionOf))).toEqual(new Set([`${major + 1}.0.0`]))
    expect(read('CHANGELOG.md').match(/^## \[\d+\.\d+\.\d+\] - 2030-01-01$/gm)).toHaveLength(3)
  })

  it('refuses to bump manifests that already drifted, and writes nothing', () => {
    const dir = freshCopy()
    const jsr = JSON.parse(read('jsr.json'))
    writeFileSync(join(dir, 'jsr.json'), JSON.stringify({ ...jsr, version: '0.0.9' }))
    expect(() => bumpVersion(dir, 'minor')).toThrow(`jsr.json has version 0.0.9, package.json ${current}: fix the drift first`)
    expect(versionOf('package.json')).toBe(current)
    expect(versionOf('deno.json')).toBe(current)
  })

  it('rejects a request that is not a version or patch/minor/major', () => {
    const dir = freshCopy()
    let status = 0
    try {
      execFileSync(process.execPath, [join(root, 'scripts/version-bump.mjs'), 'next'], { cwd: dir, stdio: 'pipe' })
    } catch (error) {
      status = (error as { status: number }).status
    }
    expect(status).toBe(1)
    expect(versionOf('package.json')).toBe(current)
  })
})

describe('version arithmetic and changelog', () => {
  it('computes the next version', () => {
    expect(nextVersion('0.1.0', 'patch')).toBe('0.1.1')
    expect(nextVersion('0.1.9', 'minor')).toBe('0.2.0')
    expect(nextVersion('0.9.3', 'major')).toBe('1.0.0')
    expect(nextVersion('1.2.3-rc.1', 'patch')).toBe('1.2.3')
    expect(nextVersion('0.1.0', '0.2.0-beta.1')).toBe('0.2.0-beta.1')
    expect(() => nextVersion('0.1.0', 'v1')).toThrow(/expected a version/)
  })
  it('moves Unreleased notes under the release and updates compare links', () => {
    const text = '# Changelog\n\n## [Unreleased]\n\n### Added\n- x\n\n[Unreleased]: https://github.com/o/r/compare/v0.1.0...HEAD\n'
    expect(releaseChangelog(text, '0.2.0', '2030-01-01')).toBe(
      '# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2030-01-01\n\n### Added\n- x\n\n' +
        '[Unreleased]: https://github.com/o/r/compare/v0.2.0...HEAD\n[0.2.0]: https://github.com/o/r/compare/v0.1.0...v0.2.0\n',
    )
    expect(() => releaseChangelog('# Changelog\n', '0.2.0', '2030-01-01')).toThrow(/no "## \[Unreleased\]"/)
  })
})
