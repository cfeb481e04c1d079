/**
 * Checks the relative links of Markdown files: every linked file or folder exists, and every
 * `#anchor` names a heading of the linked Markdown file (GitHub's heading slugs). Links in code
 * blocks and code spans are not links; absolute URLs are not checked (no network in tests).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'

/**
 * GitHub's anchor for a heading: inline markup removed, lower-cased, punctuation dropped
 * (letters, digits, `-`, `_` and spaces kept), spaces turned into `-`.
 */
export function headingSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
}

/** The Markdown without fenced code blocks and code spans, which hold no links or headings. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '')
}

/** The anchors a Markdown file's headings define; a repeated heading gets `-1`, `-2`, … */
export function anchorsOf(markdown: string): ReadonlySet<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  // Headings keep their code spans (the slug drops only the backticks).
  const outsideFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
  for (const match of outsideFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = headingSlug(match[1]!)
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}

/** The link targets of a Markdown text, in order. */
export function linkTargets(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!)
}

/**
 * Every broken relative link in `files`, as `file: target (why)`, paths relative to `root`.
 *
 * @example
 * brokenLinks(['README.md', 'docs/setup.md'], repoRoot) // [] when every link resolves
 */
export function brokenLinks(files: readonly string[], root: string): string[] {
  const problems: string[] = []
  for (const file of files) {
    const path = resolve(root, file)
    for (const target of linkTargets(readFileSync(path, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue
      const hashAt = target.indexOf('#')
      const filePart = decodeURIComponent(hashAt < 0 ? target : target.slice(0, hashAt))
      const anchor = hashAt < 0 ? undefined : decodeURIComponent(target.slice(hashAt + 1))
      const linked = filePart === '' ? path : resolve(dirname(path), filePart)
      const where = `${relative(root, path)}: ${target}`
      if (!existsSync(linked)) {
        problems.push(`${where} (no such file)`)
        continue
      }
      if (anchor === undefined) continue
      if (!linked.endsWith('.md') || !statSync(linked).isFile()) {
        problems.push(`${where} (an anchor into a file that is not Markdown)`)
        continue
      }
      if (!anchorsOf(readFileSync(linked, 'utf8')).has(anchor)) problems.push(`${where} (no heading with that anchor)`)
    }
  }
  return problems
}
