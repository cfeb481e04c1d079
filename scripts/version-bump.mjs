#!/usr/bin/env node
// Sets one version in package.json, deno.json, jsr.json and package-lock.json (its root
// entries), and turns CHANGELOG.md's "Unreleased" section into the release's section.
//
// Usage: npm run version:bump -- <x.y.z | patch | minor | major> [--date YYYY-MM-DD]
// Runs in the current directory (the package root). Only the "version" values change: the
// files keep their formatting, and every file is checked before any is written.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/

/** The next version: an explicit x.y.z, or the current one bumped by patch/minor/major. */
export function nextVersion(current, request) {
  if (SEMVER.test(request)) return request
  const match = SEMVER.exec(current)
  if (match === null) throw new Error(`current version "${current}" is not semver`)
  const [major, minor, patch] = match.slice(1, 4).map(Number)
  const prerelease = current.includes('-')
  switch (request) {
    case 'major': return `${major + 1}.0.0`
    case 'minor': return `${major}.${minor + 1}.0`
    // 1.2.3-rc.1 -> 1.2.3: a patch bump of a prerelease releases it.
    case 'patch': return prerelease ? `${major}.${minor}.${patch}` : `${major}.${minor}.${patch + 1}`
    default: throw new Error(`expected a version (x.y.z) or patch, minor, major; got "${request}"`)
  }
}

/** Replaces the `"version": "…"` found at the key path (`[]` = the root object), exactly once. */
function setVersionAt(text, path, from, to, file) {
  // Walk the JSON text, tracking the key path, to find the version string to replace.
  const stack = []
  let key
  let i = 0
  while (i < text.length) {
    const ch = text[i]
    if (ch === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const str = JSON.parse(text.slice(i, j + 1))
      let k = j + 1
      while (/\s/.test(text[k])) k++
      if (text[k] === ':') key = str
      else if (str === from && key === 'version' && stack.length === path.length + 1 && path.every((p, n) => stack[n + 1] === p)) {
        return text.slice(0, i) + JSON.stringify(to) + text.slice(j + 1)
      }
      i = j + 1
      continue
    }
    if (ch === '{' || ch === '[') stack.push(key)
    else if (ch === '}' || ch === ']') stack.pop()
    i++
  }
  throw new Error(`${file}: no "version": "${from}" at ${['(root)', ...path].join('.')}`)
}

/** Moves the Unreleased notes under a heading for `version`, leaving an empty Unreleased. */
export function releaseChangelog(text, version, date) {
  const heading = /^## \[Unreleased\][^\n]*\n/m
  if (!heading.test(text)) throw new Error('CHANGELOG.md has no "## [Unreleased]" section')
  if (new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\]`, 'm').test(text)) throw new Error(`CHANGELOG.md already has a section for ${version}`)
  let out = text.replace(heading, `## [Unreleased]\n\n## [${version}] - ${date}\n`)
  // Keep a Changelog link references at the bottom, when present.
  const unreleasedLink = /^\[Unreleased\]: (.*)\/compare\/(\S+?)\.\.\.HEAD$/m
  const link = unreleasedLink.exec(out)
  if (link !== null) {
    out = out.replace(unreleasedLink, `[Unreleased]: ${link[1]}/compare/v${version}...HEAD\n[${version}]: ${link[1]}/compare/${link[2]}...v${version}`)
  }
  return out
}

/** Bumps every manifest under `root`; returns the files changed. Nothing is written on error. */
export function bumpVersion(root, request, date = new Date().toISOString().slice(0, 10)) {
  const read = (name) => readFileSync(join(root, name), 'utf8')
  const pkg = JSON.parse(read('package.json'))
  const current = pkg.version
  const version = nextVersion(current, request)
  if (version === current) throw new Error(`the version is already ${version}`)

  const writes = []
  for (const name of ['package.json', 'deno.json', 'jsr.json']) {
    const text = read(name)
    const json = JSON.parse(text)
    if (json.version !== current) throw new Error(`${name} has version ${json.version}, package.json ${current}: fix the drift first`)
    writes.push([name, setVersionAt(text, [], current, version, name)])
  }
  if (existsSync(join(root, 'package-lock.json'))) {
    let text = read('package-lock.json')
    text = setVersionAt(text, [], current, version, 'package-lock.json')
    text = setVersionAt(text, ['packages', ''], current, version, 'package-lock.json')
    writes.push(['package-lock.json', text])
  }
  if (existsSync(join(root, 'CHANGELOG.md'))) writes.push(['CHANGELOG.md', releaseChangelog(read('CHANGELOG.md'), version, date)])

  for (const [name, text] of writes) {
    if (name.endsWith('.json') && JSON.parse(text).version !== version) throw new Error(`${name}: bump failed`)
  }
  for (const [name, text] of writes) writeFileSync(join(root, name), text)
  return { from: current, to: version, files: writes.map(([name]) => name) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const dateAt = args.indexOf('--date')
  const date = dateAt === -1 ? undefined : args.splice(dateAt, 2)[1]
  if (args.length !== 1) {
    console.error('usage: npm run version:bump -- <x.y.z | patch | minor | major> [--date YYYY-MM-DD]')
    process.exit(2)
  }
  try {
    const { from, to, files } = bumpVersion(process.cwd(), args[0], date)
    console.log(`${from} -> ${to}: ${files.join(', ')}`)
  } catch (error) {
    console.error(`version:bump: ${error.message}`)
    process.exit(1)
  }
}
