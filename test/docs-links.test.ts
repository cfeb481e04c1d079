// The README is the landing page and docs/ holds the rest: every relative link between them (and
// into the code) must lead somewhere, and the README must stay short.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { anchorsOf, brokenLinks, headingSlug } from './support/markdown-links.ts'

const root = join(import.meta.dirname, '..')
const docs = readdirSync(join(root, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`)

describe('the documentation', () => {
  test('every relative link and #anchor in README.md and docs/*.md resolves', () => {
    expect(docs.length).toBeGreaterThanOrEqual(7)
    expect(brokenLinks(['README.md', ...docs], root)).toEqual([])
  })

  test('README.md is a landing page of at most 15 KB', () => {
    expect(statSync(join(root, 'README.md')).size).toBeLessThanOrEqual(15 * 1024)
  })
})

describe('the link check', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'docs-links-'))
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  test('reports a missing file, a missing anchor and an anchor into a non-Markdown file', () => {
    writeFileSync(join(scratch, 'target.md'), '# Title\n\n## Behind nginx: `TRUST_PROXY`\n\n## Notes\n\n## Notes\n')
    writeFileSync(join(scratch, 'code.ts'), 'export {}\n')
    writeFileSync(
      join(scratch, 'page.md'),
      [
        '[ok](target.md#behind-nginx-trust_proxy) [ok](target.md#notes-1) [ok](#here) [web](https://example.com/x)',
        '## Here',
        '[gone](missing.md) [no anchor](target.md#nowhere) [not md](code.ts#top)',
        '`[in code](nothing.md)`',
        '```\n[in a block](nothing.md)\n```',
      ].join('\n\n'),
    )
    expect(brokenLinks(['page.md'], scratch)).toEqual([
      'page.md: missing.md (no such file)',
      'page.md: target.md#nowhere (no heading with that anchor)',
      'page.md: code.ts#top (an anchor into a file that is not Markdown)',
    ])
  })

  test('makes anchors as GitHub does', () => {
    expect(headingSlug('Deno (Deploy)')).toBe('deno-deploy')
    expect(headingSlug('2. Check it from outside: `clerk-proxy doctor`')).toBe('2-check-it-from-outside-clerk-proxy-doctor')
    expect([...anchorsOf('## A\n\n```\n## not a heading\n```\n\n## A\n')]).toEqual(['a', 'a-1'])
  })
})
