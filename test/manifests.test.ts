// package.json (npm), deno.json and jsr.json (JSR) must describe one package: same name,
// version and exports, each export built from the TypeScript file JSR publishes.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exportEntries, globMatcher, manifestProblems, publishedToJsr } from '../scripts/manifests.mjs'

const root = join(import.meta.dirname, '..')

describe('the three manifests', () => {
  it('agree on name, version and exports, and every export is built', () => {
    expect(manifestProblems(root, { checkBuild: true })).toEqual([])
  })

  it('list every export key in all three with the same source file', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    const deno = JSON.parse(readFileSync(join(root, 'deno.json'), 'utf8'))
    const jsr = JSON.parse(readFileSync(join(root, 'jsr.json'), 'utf8'))
    const keys = exportEntries(root).map((e) => e.key)
    expect(keys).toContain('.')
    expect(keys).toContain('./node')
    for (const key of keys) {
      expect(Object.keys(pkg.exports)).toContain(key)
      expect(deno.exports[key]).toBe(jsr.exports[key])
    }
  })
})

describe('the drift check catches', () => {
  const copies: string[] = []
  afterAll(() => {
    for (const dir of copies) rmSync(dir, { recursive: true, force: true })
  })

  /** A copy of the manifests and sources, edited by `change`, then checked. */
  function problemsAfter(change: (dir: string) => void): string[] {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-drift-'))
    copies.push(dir)
    for (const name of ['package.json', 'deno.json', 'jsr.json', 'package-lock.json', 'src', 'adapters', 'bin']) {
      cpSync(join(root, name), join(dir, name), { recursive: true })
    }
    change(dir)
    return manifestProblems(dir)
  }
  const editJson = (dir: string, file: string, edit: (json: any) => void): void => {
    const json = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    edit(json)
    writeFileSync(join(dir, file), JSON.stringify(json, null, 2))
  }

  it('nothing in an unchanged copy', () => {
    expect(problemsAfter(() => {})).toEqual([])
  })
  it('a version bumped in one manifest only', () => {
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version
    expect(problemsAfter((d) => editJson(d, 'jsr.json', (j) => (j.version = '9.9.9')))).toEqual([
      `jsr.json version "9.9.9" differs from package.json "${version}"`,
    ])
  })
  it('a package-lock.json root version left behind', () => {
    const problems = problemsAfter((d) => editJson(d, 'package-lock.json', (j) => (j.packages[''].version = '0.0.1')))
    expect(problems.join('\n')).toMatch(/package-lock\.json packages\[""\]\.version "0\.0\.1" differs/)
  })
  it('an export added to one manifest only', () => {
    const problems = problemsAfter((d) => editJson(d, 'deno.json', (j) => (j.exports['./extra'] = './src/mod.ts')))
    expect(problems).toContain('export "./extra" is missing from jsr.json')
    expect(problems).toContain('export "./extra" is missing from package.json')
  })
  it('deno.json and jsr.json pointing one key at different files', () => {
    const problems = problemsAfter((d) => editJson(d, 'deno.json', (j) => (j.exports['./node'] = './src/node/server.ts')))
    expect(problems.join('\n')).toMatch(/export "\.\/node": deno\.json points at \.\/src\/node\/server\.ts, jsr\.json at \.\/adapters\/node\.ts/)
  })
  it("an npm export built from a different file than JSR's", () => {
    const problems = problemsAfter((d) => editJson(d, 'package.json', (j) => (j.exports['./node'] = { types: './dist/src/mod.d.ts', default: './dist/src/mod.js' })))
    expect(problems.join('\n')).toMatch(/export "\.\/node": package\.json types is \.\/dist\/src\/mod\.d\.ts, expected \.\/dist\/adapters\/node\.d\.ts/)
    expect(problems.join('\n')).toMatch(/export "\.\/node": package\.json default is \.\/dist\/src\/mod\.js, expected \.\/dist\/adapters\/node\.js/)
  })
  it('an export whose source file does not exist', () => {
    const problems = problemsAfter((d) => {
      for (const f of ['package.json', 'deno.json', 'jsr.json']) {
        editJson(d, f, (j) => (j.exports['./ghost'] = f === 'package.json' ? { types: './dist/adapters/ghost.d.ts', default: './dist/adapters/ghost.js' } : './adapters/ghost.ts'))
      }
    })
    expect(problems).toEqual(['export "./ghost": ./adapters/ghost.ts does not exist'])
  })
  it('an export left out of the JSR publish set', () => {
    const problems = problemsAfter((d) => {
      for (const f of ['deno.json', 'jsr.json']) editJson(d, f, (j) => j.publish.exclude.push('adapters/node.ts'))
    })
    expect(problems).toContain('export "./node": ./adapters/node.ts is not in jsr.json publish.include (or is excluded)')
  })
  it('a dependency range that differs between package.json and deno.json', () => {
    const problems = problemsAfter((d) => editJson(d, 'deno.json', (j) => (j.imports.zod = 'npm:zod@^3.0.0')))
    expect(problems.join('\n')).toMatch(/deno\.json imports\["zod"\] is "npm:zod@\^3\.0\.0"/)
  })
  it('global augmentation in a published source', () => {
    const problems = problemsAfter((d) => appendFileSync(join(d, 'src/mod.ts'), '\ndeclare global {\n  var leaked: string\n}\n'))
    expect(problems).toEqual(['src/mod.ts: "declare global" (JSR forbids global augmentation; type platform globals locally)'])
  })
  it('a bin outside the published files and no build on prepare', () => {
    const problems = problemsAfter((d) => editJson(d, 'package.json', (j) => {
      j.files = ['dist']
      delete j.scripts.prepare
    }))
    expect(problems.join('\n')).toMatch(/bin clerk-proxy \(\.\/bin\/clerk-proxy\.js\) is not covered by package\.json files/)
    expect(problems.join('\n')).toMatch(/scripts\.prepare must run the build/)
  })
})

describe('JSR publish globs', () => {
  it('match like JSR include/exclude patterns', () => {
    expect(globMatcher('src/**/*.ts')('src/mod.ts')).toBe(true)
    expect(globMatcher('src/**/*.ts')('src/node/server.ts')).toBe(true)
    expect(globMatcher('src/**/*.ts')('test/x.ts')).toBe(false)
    expect(globMatcher('src/cli/**')('src/cli/main.ts')).toBe(true)
    expect(globMatcher('README.md')('README.md')).toBe(true)
    expect(globMatcher('adapters')('adapters/node.ts')).toBe(true)
    const publish = { include: ['src/**/*.ts'], exclude: ['src/cli/**'] }
    expect(publishedToJsr(publish, './src/app.ts')).toBe(true)
    expect(publishedToJsr(publish, './src/cli/main.ts')).toBe(false)
  })
})
