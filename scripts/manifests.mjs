// The one place that knows how package.json (npm), deno.json and jsr.json (JSR) relate.
// Everything is derived from the manifests' export maps, so a new entry point is covered by
// the drift test and the package check the moment it is added to the three manifests.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'

/** Reads a JSON file, naming the file when it is not valid JSON. */
export function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`${file}: ${error.message}`)
  }
}

/** The four manifests of the project rooted at `root`. */
export function readManifests(root) {
  return {
    pkg: readJson(join(root, 'package.json')),
    deno: readJson(join(root, 'deno.json')),
    jsr: readJson(join(root, 'jsr.json')),
    lock: existsSync(join(root, 'package-lock.json')) ? readJson(join(root, 'package-lock.json')) : undefined,
  }
}

/**
 * Where tsc (rootDir `.`, outDir `dist`) writes the build of a source file:
 * `./adapters/node.ts` -> `./dist/adapters/node.js` and `./dist/adapters/node.d.ts`.
 */
export function distPaths(source) {
  const base = source.replace(/^\.\//, '').replace(/\.ts$/, '')
  return { js: `./dist/${base}.js`, types: `./dist/${base}.d.ts` }
}

/** `./cloudflare` -> `@fapi-proxy/clerk/cloudflare`; `.` -> `@fapi-proxy/clerk`. */
export function specifierFor(name, key) {
  return key === '.' ? name : `${name}/${key.replace(/^\.\//, '')}`
}

/**
 * Every export key named by any of the three manifests, with the TypeScript source JSR
 * publishes and the built files npm publishes. Keys appear in package.json order first.
 */
export function exportEntries(root) {
  const { pkg, deno, jsr } = readManifests(root)
  const keys = [...new Set([...Object.keys(pkg.exports ?? {}), ...Object.keys(deno.exports ?? {}), ...Object.keys(jsr.exports ?? {})])]
  return keys.map((key) => {
    const source = jsr.exports?.[key] ?? deno.exports?.[key]
    const npm = pkg.exports?.[key]
    return {
      key,
      specifier: specifierFor(pkg.name, key),
      source,
      js: typeof npm === 'object' && npm !== null ? npm.default ?? npm.import : npm,
      types: typeof npm === 'object' && npm !== null ? npm.types : undefined,
    }
  })
}

/** A JSR-style glob (`src/**\/*.ts`, or a plain path meaning that file or folder) as a test. */
export function globMatcher(pattern) {
  const clean = pattern.replace(/^\.\//, '').replace(/\/$/, '')
  if (!/[*?[]/.test(clean)) return (path) => path === clean || path.startsWith(`${clean}/`)
  let re = ''
  for (let i = 0; i < clean.length; i++) {
    const ch = clean[i]
    if (ch === '*' && clean[i + 1] === '*') {
      const slash = clean[i + 2] === '/'
      re += slash ? '(?:.*/)?' : '.*'
      i += slash ? 2 : 1
    } else if (ch === '*') re += '[^/]*'
    else if (ch === '?') re += '[^/]'
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  const regex = new RegExp(`^${re}$`)
  return (path) => regex.test(path)
}

/** Whether a repo-relative path is published to JSR under a `publish` config. */
export function publishedToJsr(publish, path) {
  const clean = path.replace(/^\.\//, '')
  const included = (publish?.include ?? ['**']).some((p) => globMatcher(p)(clean))
  const excluded = (publish?.exclude ?? []).some((p) => globMatcher(p)(clean))
  return included && !excluded
}

/** Every `.ts` file under `src/` and `adapters/` that JSR would publish, repo-relative. */
export function jsrPublishedSources(root) {
  const { jsr } = readManifests(root)
  const files = []
  const walk = (dir) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith('.ts')) files.push(relative(root, full).split(sep).join('/'))
    }
  }
  walk(join(root, 'src'))
  walk(join(root, 'adapters'))
  return files.filter((file) => publishedToJsr(jsr.publish, file))
}

const isDeepEqual = (a, b) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Every way the three manifests disagree, or break the npm/JSR publishing rules, as readable
 * sentences; empty when they agree. `checkBuild` also requires the built files to exist.
 */
export function manifestProblems(root, { checkBuild = false } = {}) {
  const problems = []
  const { pkg, deno, jsr, lock } = readManifests(root)

  for (const [label, m] of [['deno.json', deno], ['jsr.json', jsr]]) {
    if (m.name !== pkg.name) problems.push(`${label} name "${m.name}" differs from package.json "${pkg.name}"`)
    if (m.version !== pkg.version) problems.push(`${label} version "${m.version}" differs from package.json "${pkg.version}"`)
  }
  if (lock !== undefined) {
    if (lock.version !== pkg.version) problems.push(`package-lock.json version "${lock.version}" differs from package.json "${pkg.version}"`)
    const rootEntry = lock.packages?.['']
    if (rootEntry !== undefined && rootEntry.version !== pkg.version) {
      problems.push(`package-lock.json packages[""].version "${rootEntry.version}" differs from package.json "${pkg.version}"`)
    }
  }
  if (!/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(pkg.version ?? '')) problems.push(`package.json version "${pkg.version}" is not semver`)

  const entries = exportEntries(root)
  if (!entries.some((e) => e.key === '.')) problems.push('no "." export')
  for (const { key, source } of entries) {
    const denoTarget = deno.exports?.[key]
    const jsrTarget = jsr.exports?.[key]
    const npmTarget = pkg.exports?.[key]
    if (denoTarget === undefined) problems.push(`export "${key}" is missing from deno.json`)
    if (jsrTarget === undefined) problems.push(`export "${key}" is missing from jsr.json`)
    if (npmTarget === undefined) problems.push(`export "${key}" is missing from package.json`)
    if (denoTarget !== undefined && jsrTarget !== undefined && denoTarget !== jsrTarget) {
      problems.push(`export "${key}": deno.json points at ${denoTarget}, jsr.json at ${jsrTarget}`)
    }
    if (typeof source !== 'string' || !/^\.\/.+\.ts$/.test(source)) {
      problems.push(`export "${key}": JSR target ${JSON.stringify(source)} is not a ./relative .ts file`)
      continue
    }
    if (!existsSync(join(root, source))) problems.push(`export "${key}": ${source} does not exist`)
    if (!publishedToJsr(jsr.publish, source)) problems.push(`export "${key}": ${source} is not in jsr.json publish.include (or is excluded)`)
    if (npmTarget === undefined) continue
    const want = distPaths(source)
    if (typeof npmTarget !== 'object' || npmTarget === null) {
      problems.push(`export "${key}": package.json must map it to { "types", "default" }, got ${JSON.stringify(npmTarget)}`)
      continue
    }
    if (npmTarget.types !== want.types) problems.push(`export "${key}": package.json types is ${npmTarget.types}, expected ${want.types} (built from ${source})`)
    if (npmTarget.default !== want.js) problems.push(`export "${key}": package.json default is ${npmTarget.default}, expected ${want.js} (built from ${source})`)
    const keys = Object.keys(npmTarget)
    if (keys[0] !== 'types') problems.push(`export "${key}": "types" must come first in package.json's condition object (TypeScript reads conditions in order)`)
    if (checkBuild) {
      for (const file of [want.js, want.types]) {
        if (!existsSync(join(root, file))) problems.push(`export "${key}": ${file} was not built (is ${source} in tsconfig.build.json's include?)`)
      }
    }
  }

  const main = exportEntries(root).find((e) => e.key === '.')
  if (main?.source !== undefined) {
    const want = distPaths(main.source)
    if (pkg.main !== undefined && pkg.main !== want.js) problems.push(`package.json main is ${pkg.main}, expected ${want.js}`)
    if (pkg.types !== undefined && pkg.types !== want.types) problems.push(`package.json types is ${pkg.types}, expected ${want.types}`)
  }

  // npm ships the build, the bin and the docs; JSR ships the TypeScript sources.
  const files = pkg.files ?? []
  if (!files.includes('dist')) problems.push('package.json files must include "dist"')
  for (const [bin, target] of Object.entries(pkg.bin ?? {})) {
    const clean = target.replace(/^\.\//, '')
    if (!files.some((f) => clean === f || clean.startsWith(`${f.replace(/\/$/, '')}/`))) problems.push(`bin ${bin} (${target}) is not covered by package.json files`)
    if (!existsSync(join(root, target))) problems.push(`bin ${bin}: ${target} does not exist`)
  }
  if (!/\bbuild\b/.test(pkg.scripts?.prepare ?? '')) problems.push('package.json scripts.prepare must run the build (git installs and npm pack rely on it)')
  if (!isDeepEqual(deno.publish, jsr.publish)) problems.push('deno.json publish differs from jsr.json publish (deno publish reads deno.json)')

  // JSR resolves bare imports through deno.json: the same npm packages, the same ranges.
  for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
    const mapped = deno.imports?.[dep]
    if (mapped !== `npm:${dep}@${range}`) problems.push(`deno.json imports["${dep}"] is ${JSON.stringify(mapped)}, expected "npm:${dep}@${range}" as in package.json`)
  }

  // JSR rejects packages that augment the global scope; platform globals are typed locally.
  for (const file of jsrPublishedSources(root)) {
    const text = readFileSync(join(root, file), 'utf8')
    if (/^\s*declare\s+global\b/m.test(text)) problems.push(`${file}: "declare global" (JSR forbids global augmentation; type platform globals locally)`)
    if (/^\s*\/\/\/\s*<reference\s+(?:lib|no-default-lib)\b/m.test(text)) problems.push(`${file}: a /// <reference lib> directive changes globals (JSR forbids it)`)
  }
  return problems
}
