#!/usr/bin/env node
// Installs the package the way its users do, outside the repository, and checks every export
// on every runtime it claims: the npm tarball under Node, TypeScript (bundler and nodenext
// resolution) and Bun; the JSR sources under Deno (check, publish dry run, doc lint); the edge
// entries and the core as esbuild bundles without Node built-ins, with their sizes.
//
// Everything is derived from the manifests' export maps (scripts/manifests.mjs): a new export
// is checked as soon as it is in package.json, deno.json and jsr.json.
//
// Usage: npm run check:package            (builds first)
//        node scripts/package-check.mjs   (expects a fresh `npm run build`)
//        options: --keep (keep the temp project), --json FILE (write the report, default
//        test-results/package-check.json)
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { distPaths, exportEntries, manifestProblems, readManifests } from './manifests.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const keep = argv.includes('--keep')
const jsonOut = argv.includes('--json') ? resolve(argv[argv.indexOf('--json') + 1]) : join(root, 'test-results', 'package-check.json')
const bin = (name) => join(root, 'node_modules', '.bin', name)

/** Edge targets: esbuild resolve conditions as each platform's bundler uses them. */
const BUNDLE_TARGETS = {
  './vercel': { platform: 'Vercel Edge', conditions: ['edge-light', 'worker', 'browser', 'import', 'default'] },
  './netlify': { platform: 'Netlify Edge', conditions: ['deno', 'worker', 'browser', 'import', 'default'] },
  './cloudflare': { platform: 'Cloudflare Workers', conditions: ['workerd', 'worker', 'browser', 'import', 'default'] },
  '.': { platform: 'browser/worker (core)', conditions: ['worker', 'browser', 'import', 'default'] },
}
/** Minified + gzipped ceiling per bundle: growth past it is a regression worth a look. */
const GZIP_BUDGET_BYTES = 32 * 1024

const { pkg } = readManifests(root)
const entries = exportEntries(root)
const report = { package: `${pkg.name}@${pkg.version}`, exports: entries.map((e) => e.key), steps: [], bundles: [], tarball: undefined }
const failures = []

/** Child processes get a clean npm environment: no lifecycle variables of the outer `npm test`. */
function childEnv(extra = {}) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(lifecycle|package|config_local_prefix|command)/i.test(k) || k === 'INIT_CWD' || k === 'NODE_OPTIONS') continue
    env[k] = v
  }
  return { ...env, NO_COLOR: '1', DENO_DIR: process.env.DENO_DIR ?? join(root, '.deno'), ...extra }
}

/** Runs a command to completion; rejects with its output when it exits non-zero. */
function run(command, args, { cwd = root, env = {}, timeoutMs = 180_000, allowFailure = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const result = { code, stdout, stderr }
      if (code === 0 || allowFailure) resolvePromise(result)
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}\n${stdout}\n${stderr}`.trim()))
    })
  })
}

const strip = (text) => text.replace(/\x1b\[[0-9;]*m/g, '')

/** Runs one named check, records its outcome and time; later checks still run. */
async function step(name, fn) {
  const started = Date.now()
  try {
    const detail = await fn()
    report.steps.push({ name, ok: true, ms: Date.now() - started, detail })
    console.log(`ok    ${name}${detail ? ` - ${detail}` : ''} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    return true
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    report.steps.push({ name, ok: false, ms: Date.now() - started, error: message })
    failures.push(name)
    console.log(`FAIL  ${name}\n${message.split('\n').map((l) => `      ${l}`).join('\n')}`)
    return false
  }
}

function notRun(name, because) {
  report.steps.push({ name, ok: false, error: `not run: ${because}` })
  failures.push(name)
  console.log(`FAIL  ${name} - not run: ${because}`)
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`

// ---------------------------------------------------------------------------------------------
console.log(`package check for ${report.package}; exports: ${entries.map((e) => e.key).join(', ')}`)
const work = mkdtempSync(join(tmpdir(), 'fapi-proxy-package-check-'))
const project = join(work, 'consumer')
mkdirSync(project)
let tarball
let installed = false
const runtimeNames = {}

await step('manifests agree (package.json, deno.json, jsr.json) and every export is built', async () => {
  const problems = manifestProblems(root, { checkBuild: true })
  if (problems.length > 0) throw new Error(problems.join('\n'))
  return `${entries.length} exports`
})

await step('npm pack: the tarball holds the build, the .d.ts files and the bin, no sources', async () => {
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work])
  const [info] = JSON.parse(stdout)
  tarball = join(work, info.filename)
  const files = new Set(info.files.map((f) => f.path))
  const missing = []
  for (const e of entries) {
    const want = distPaths(e.source)
    for (const f of [want.js, want.types]) if (!files.has(f.replace(/^\.\//, ''))) missing.push(f)
  }
  for (const target of Object.values(pkg.bin ?? {})) if (!files.has(target.replace(/^\.\//, ''))) missing.push(target)
  for (const doc of ['README.md', 'LICENSE', 'CHANGELOG.md']) if (existsSync(join(root, doc)) && !files.has(doc)) missing.push(doc)
  const unwanted = [...files].filter((f) => (f.endsWith('.ts') && !f.endsWith('.d.ts')) || /^(test|node_modules|scripts|\.deno)\//.test(f))
  if (missing.length > 0 || unwanted.length > 0) {
    throw new Error(`missing: ${missing.join(', ') || 'none'}; should not be published: ${unwanted.join(', ') || 'none'}`)
  }
  report.tarball = { file: info.filename, packedBytes: info.size, unpackedBytes: info.unpackedSize, files: info.files.length }
  return `${info.filename}: ${kb(info.size)} packed, ${kb(info.unpackedSize)} unpacked, ${info.files.length} files`
})

if (tarball === undefined) notRun('install the tarball into a fresh project', 'npm pack failed')
else {
  installed = await step('npm install the tarball into a fresh project outside the repo', async () => {
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'package-check-consumer', private: true, type: 'module' }, null, 2))
    const typesNode = JSON.parse(readFileSync(join(root, 'node_modules/@types/node/package.json'), 'utf8')).version
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `@types/node@${typesNode}`], { cwd: project, timeoutMs: 300_000 })
    return project
  })
}

const specifiers = entries.map((e) => e.specifier)
writeFileSync(
  join(project, 'import-all.mjs'),
  `// Imports every export and prints its export names and the file it resolved to.
const out = {}
for (const specifier of ${JSON.stringify(specifiers)}) {
  const module = await import(specifier)
  out[specifier] = { names: Object.keys(module).sort(), resolved: import.meta.resolve(specifier) }
}
console.log(JSON.stringify(out))
`,
)

/** Checks an import-all run: every export has names and resolves into the built dist files. */
function checkImports(stdout) {
  const out = JSON.parse(stdout.trim().split('\n').at(-1))
  const problems = []
  for (const e of entries) {
    const got = out[e.specifier]
    if (got === undefined) problems.push(`${e.specifier}: not imported`)
    else if (got.names.length === 0) problems.push(`${e.specifier}: exports nothing`)
    else if (!got.resolved.endsWith(e.js.replace(/^\./, ''))) problems.push(`${e.specifier}: resolved to ${got.resolved}, expected ${e.js}`)
  }
  if (problems.length > 0) throw new Error(problems.join('\n'))
  return out
}

if (!installed) {
  for (const name of ['Node: import every export', 'tsc: consumer type-checks', 'npx clerk-proxy', 'Bun', 'edge bundles']) notRun(name, 'the tarball did not install')
} else {
  await step('Node: import every export from the installed tarball', async () => {
    const { stdout } = await run(process.execPath, ['import-all.mjs'], { cwd: project })
    const out = checkImports(stdout)
    for (const [specifier, { names }] of Object.entries(out)) runtimeNames[specifier] = names
    return entries.map((e) => `${e.specifier} (${runtimeNames[e.specifier].length} names)`).join(', ')
  })

  // Every runtime export must also exist in the .d.ts: the consumer names each one.
  const consumer = [
    '// Written by scripts/package-check.mjs: a user project importing every export.',
    ...entries.map((e, i) => `import * as e${i} from '${e.specifier}'`),
    ...entries.map((e, i) => `export const names${i}: readonly unknown[] = [${(runtimeNames[e.specifier] ?? []).map((n) => `e${i}.${n}`).join(', ')}]`),
  ]
  if (runtimeNames[pkg.name]?.includes('clerkProxy')) {
    const core = entries.findIndex((e) => e.key === '.')
    consumer.push(
      `const app = e${core}.clerkProxy({ secretKey: 'sk_test_package_check', proxyUrl: 'https://app.example.com/__clerk' })`,
      'export const handler: (request: Request) => Response | Promise<Response> = (request) => app.fetch(request)',
    )
  }
  writeFileSync(join(project, 'consumer.ts'), `${consumer.join('\n')}\n`)
  for (const [resolution, module] of [['bundler', 'esnext'], ['nodenext', 'nodenext']]) {
    const config = {
      compilerOptions: {
        target: 'es2022', module, moduleResolution: resolution, lib: ['es2023'], types: ['node'],
        strict: true, noEmit: true, skipLibCheck: false, exactOptionalPropertyTypes: true,
      },
      files: ['consumer.ts'],
    }
    writeFileSync(join(project, `tsconfig.${resolution}.json`), JSON.stringify(config, null, 2))
    await step(`tsc: a consumer of every export type-checks (moduleResolution ${resolution}, skipLibCheck false)`, async () => {
      await run(bin('tsc'), ['-p', `tsconfig.${resolution}.json`], { cwd: project })
      return `${entries.length} exports, ${Object.values(runtimeNames).flat().length} names`
    })
  }

  await step('npx clerk-proxy --help and --version', async () => {
    const help = await run('npx', ['--no-install', 'clerk-proxy', '--help'], { cwd: project })
    if (!help.stdout.includes('Usage:')) throw new Error(`--help printed no usage:\n${help.stdout}${help.stderr}`)
    const version = await run('npx', ['--no-install', 'clerk-proxy', '--version'], { cwd: project })
    if (version.stdout.trim() !== pkg.version) throw new Error(`--version printed "${version.stdout.trim()}", expected ${pkg.version}`)
    return `usage printed, version ${pkg.version}`
  })

  await step('Bun: import every export from the installed tarball', async () => {
    const { stdout } = await run(bin('bun'), ['import-all.mjs'], { cwd: project })
    checkImports(stdout)
    const cli = await run(bin('bun'), [join('node_modules', pkg.name, 'bin', 'clerk-proxy.js'), '--version'], { cwd: project })
    if (cli.stdout.trim() !== pkg.version) throw new Error(`the CLI under Bun printed "${cli.stdout.trim()}"`)
    const version = (await run(bin('bun'), ['--version'])).stdout.trim()
    return `bun ${version}: ${entries.length} exports; clerk-proxy --version under Bun`
  })

  const bunEntry = entries.find((e) => e.key === './bun')
  if (bunEntry === undefined) console.log('note  no ./bun export yet: the Bun entry run starts once it is in the manifests')
  else {
    await step('Bun: run the Bun entry from the tarball and proxy one request', () =>
      runEntry(bin('bun'), [join(project, 'node_modules', pkg.name, bunEntry.js)], project))
  }

  await bundleEdgeEntries()
}

// JSR publishes the TypeScript sources: check them the way JSR and Deno see them.
const denoVersion = await run(bin('deno'), ['--version'], { allowFailure: true }).then((r) => r.stdout.split('\n')[0])
const sources = entries.map((e) => e.source)
await step(`Deno: deno check every export (${denoVersion})`, async () => {
  const { stdout, stderr } = await run(bin('deno'), ['check', ...sources])
  const checked = strip(stdout + stderr).match(/^Check \S+/gm) ?? []
  return `${checked.length} checked: ${sources.join(', ')}`
})

// DESIGN.md: `deno run --allow-net --allow-env adapters/deno.ts` starts a server.
const denoEntry = entries.find((e) => e.key === './deno')
if (denoEntry === undefined) console.log('note  no ./deno export yet: the Deno entry run starts once it is in the manifests')
else {
  await step('Deno: run the Deno entry (JSR source) with --allow-net --allow-env and proxy one request', () =>
    runEntry(bin('deno'), ['run', '--allow-net', '--allow-env', denoEntry.source], root))
}

await step('JSR: deno publish --dry-run (slow types, excluded modules, file list)', async () => {
  const { stdout, stderr } = await run(bin('deno'), ['publish', '--dry-run', '--allow-dirty'])
  const out = strip(stdout + stderr)
  if (!/Checking for slow types/.test(out)) throw new Error(`no slow-types check ran:\n${out}`)
  const header = out.match(/Simulating publish of (\S+) with files:/)
  if (header?.[1] !== report.package) throw new Error(`published ${header?.[1]}, expected ${report.package}\n${out}`)
  const files = [...out.matchAll(/file:\/\/(\S+) \(/g)].map((m) => m[1].slice(root.length + 1))
  const missing = sources.map((s) => s.replace(/^\.\//, '')).filter((s) => !files.includes(s))
  const unwanted = files.filter((f) => /^(test|node_modules|dist|scripts|bin)\//.test(f) || f.startsWith('src/cli/'))
  if (missing.length > 0 || unwanted.length > 0) throw new Error(`missing: ${missing.join(', ') || 'none'}; unwanted: ${unwanted.join(', ') || 'none'}`)
  report.jsrFiles = files
  return `${files.length} files, no slow types`
})

await step('JSR docs: deno doc --lint (JSDoc on every exported symbol, explicit types)', async () => {
  const { code, stdout, stderr } = await run(bin('deno'), ['doc', '--lint', ...sources], { allowFailure: true })
  const out = strip(stdout + stderr)
  const own = ownSources().map((f) => readFileSync(join(root, f), 'utf8'))
  const ours = (name) => own.some((text) => new RegExp(`^\\s*(?:export\\s+)?(?:declare\\s+)?(?:type|interface|class|enum)\\s+${name}\\b`, 'm').test(text))
  const errors = [...out.matchAll(/^error\[([\w-]+)\]: (.*)\n\s*--> (\S+)/gm)].map(([, code, message, at]) => ({ code, message, at }))
  // A private-type-ref to a dependency's type (Hono's `Context`, `Hono`) is Hono's to document.
  const blocking = errors.filter((e) => e.code !== 'private-type-ref' || ours(e.message.match(/private type '([^']+)'/)?.[1] ?? ''))
  const tolerated = errors.length - blocking.length
  if (blocking.length > 0) throw new Error(blocking.map((e) => `${e.code}: ${e.message} at ${e.at.replace(`${root}/`, '')}`).join('\n'))
  if (code !== 0 && errors.length === 0) throw new Error(`deno doc --lint exited ${code}:\n${out}`)
  return `clean${tolerated > 0 ? ` (${tolerated} references to dependency types such as Hono's Context)` : ''}`
})

await step('JSR docs: every entry module and exported function/class has an @example', async () => {
  const { stdout } = await run(bin('deno'), ['doc', '--json', ...sources])
  const doc = JSON.parse(stdout)
  const missing = []
  let symbols = 0
  for (const [url, module] of Object.entries(doc.nodes)) {
    const file = url.replace(`file://${root}/`, '')
    if (!module.module_doc?.tags?.some((t) => t.kind === 'example')) missing.push(`${file}: module doc (@module) with an @example`)
    for (const symbol of module.symbols) {
      for (const d of symbol.declarations) {
        if (d.kind !== 'function' && d.kind !== 'class') continue
        symbols++
        if (!d.jsDoc?.tags?.some((t) => t.kind === 'example')) missing.push(`${symbol.name} (${d.location.filename.replace(`file://${root}/`, '')}:${d.location.line})`)
      }
    }
  }
  if (missing.length > 0) throw new Error(`no @example: ${missing.join(', ')}`)
  return `${Object.keys(doc.nodes).length} modules, ${symbols} functions/classes`
})

/** Our own TypeScript files (src/, adapters/), repo-relative. */
function ownSources(dir = root) {
  const out = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    const rel = full.slice(root.length + 1)
    if (entry.isDirectory() && (dir !== root || entry.name === 'src' || entry.name === 'adapters')) out.push(...ownSources(full))
    else if (entry.isFile() && dir !== root && entry.name.endsWith('.ts')) out.push(rel)
  }
  return out
}

/** Starts an entry (`command args`) against a local upstream and proxies one request through it. */
async function runEntry(command, args, cwd) {
  let seen
  const upstream = createServer((req, res) => {
    seen = { url: req.url, secret: req.headers['clerk-secret-key'], proxyUrl: req.headers['clerk-proxy-url'] }
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ from: 'package-check-upstream', url: req.url }))
  })
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r))
  const port = await freePort()
  const secret = 'sk_test_package_check_entry'
  const child = spawn(command, args, {
    cwd,
    env: childEnv({ CLERK_SECRET_KEY: secret, CLERK_FAPI_URL: `http://127.0.0.1:${upstream.address().port}`, PORT: String(port), HOST: '127.0.0.1', CLERK_PROXY_LOG: 'off' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  try {
    const deadline = Date.now() + 20_000
    let last = ''
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited ${child.exitCode}:\n${output}`)
      try {
        const response = await fetch(`http://127.0.0.1:${port}/__clerk/v1/environment?check=1`)
        const body = await response.text()
        if (response.status === 200 && body.includes('package-check-upstream')) {
          if (seen?.url !== '/v1/environment?check=1' || seen.secret !== secret) throw new Error(`upstream saw ${JSON.stringify(seen)}`)
          return `served on 127.0.0.1:${port}, proxied /__clerk/v1/environment with Clerk-Secret-Key`
        }
        last = `${response.status} ${body.slice(0, 200)}`
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('upstream saw')) throw error
        last = String(error)
      }
      await new Promise((r) => setTimeout(r, 250))
    }
    throw new Error(`no proxied answer within 20 s (last: ${last})\n${output}`)
  } finally {
    child.kill('SIGTERM')
    await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))])
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    upstream.close()
  }
}

function freePort() {
  return new Promise((r) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => r(port))
    })
  })
}

/** `../../tmp/x/node_modules/@scope/name/dist/a.js` -> `@scope/name`. */
function packageOf(file) {
  const inside = file.split('node_modules/').at(-1)
  if (inside === file) return file
  const parts = inside.split('/')
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
}

/** Bundles each edge entry (and the core) from the installed tarball; no Node built-ins allowed. */
async function bundleEdgeEntries() {
  const esbuild = await import('esbuild')
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))
  for (const [key, target] of Object.entries(BUNDLE_TARGETS)) {
    const entry = entries.find((e) => e.key === key)
    if (entry === undefined) {
      console.log(`note  no ${key} export yet: its ${target.platform} bundle is checked once it is in the manifests`)
      continue
    }
    await step(`bundle ${entry.specifier} for ${target.platform} (esbuild, no Node built-ins)`, async () => {
      const { leaks, code, byPackage } = await bundle(esbuild, builtins, entry, target)
      if (leaks.length > 0) throw new Error(`Node built-ins leak into the ${target.platform} bundle:\n${leaks.join('\n')}`)
      const gzip = gzipSync(code, { level: 9 }).length
      const top = Object.entries(byPackage).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([n, b]) => `${n} ${kb(b)}`).join(', ')
      report.bundles.push({ export: key, platform: target.platform, minifiedBytes: code.length, gzipBytes: gzip, largestInputs: byPackage })
      if (gzip > GZIP_BUDGET_BYTES) throw new Error(`${kb(gzip)} gzipped exceeds the ${kb(GZIP_BUDGET_BYTES)} budget (${top})`)
      return `${kb(code.length)} minified, ${kb(gzip)} gzipped (${top})`
    })
  }
  // Control: the detector must flag the Node adapter, which imports Node built-ins by design.
  const nodeEntry = entries.find((e) => e.key === './node')
  if (nodeEntry !== undefined) {
    await step(`control: the leak detector flags ${nodeEntry.specifier} (Node-only by design)`, async () => {
      const { leaks } = await bundle(esbuild, builtins, nodeEntry, BUNDLE_TARGETS['.'])
      if (leaks.length === 0) throw new Error('no Node built-in detected in the Node adapter: the leak detector is broken')
      return `${leaks.length} imports flagged, e.g. ${leaks[0]}`
    })
  }
}

/** One esbuild bundle of an installed export; Node built-ins are recorded, not resolved. */
async function bundle(esbuild, builtins, entry, target) {
    const leaks = []
    const hasDefault = runtimeNames[entry.specifier]?.includes('default')
    const result = await esbuild.build({
      stdin: {
        contents: `export * from '${entry.specifier}'\n${hasDefault ? `export { default } from '${entry.specifier}'\n` : ''}`,
        resolveDir: project,
        loader: 'js',
      },
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      conditions: target.conditions,
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [{
        name: 'no-node-builtins',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            if (!builtins.has(args.path) && !args.path.startsWith('node:')) return undefined
            leaks.push(`${args.path} (imported by ${args.importer.replace(`${project}/`, '')})`)
            return { path: args.path, external: true }
          })
        },
      }],
    })
    const code = result.outputFiles[0].contents
    const inputs = Object.entries(result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].inputs)
      .map(([file, { bytesInOutput }]) => [packageOf(file), bytesInOutput])
    const byPackage = {}
    for (const [name, bytes] of inputs) byPackage[name] = (byPackage[name] ?? 0) + bytes
    return { leaks, code, byPackage }
}

// ---------------------------------------------------------------------------------------------
if (report.bundles.length > 0) {
  console.log('\nbundle sizes (esbuild --bundle --minify, ESM, es2022; gzip -9):')
  console.log('| export | target | minified | gzipped |\n| --- | --- | ---: | ---: |')
  for (const b of report.bundles) console.log(`| \`${b.export}\` | ${b.platform} | ${kb(b.minifiedBytes)} | ${kb(b.gzipBytes)} |`)
}
mkdirSync(dirname(jsonOut), { recursive: true })
writeFileSync(jsonOut, JSON.stringify({ ...report, failures }, null, 2))
if (keep) console.log(`\nkept ${work}`)
else rmSync(work, { recursive: true, force: true })
console.log(`\n${failures.length === 0 ? 'PASS' : 'FAIL'}: ${report.steps.length - failures.length}/${report.steps.length} checks passed for ${report.package} (${entries.map((e) => e.key).join(', ')}); report in ${jsonOut.replace(`${root}/`, '')}`)
process.exit(failures.length === 0 ? 0 : 1)
