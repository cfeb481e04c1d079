/**
 * Bundles an adapter with esbuild for runtimes that load one script (edge-runtime) or one
 * module (workerd), once per test file.
 */
import { build } from 'esbuild'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * Bundles `source` (TypeScript, imports relative to the project root; `@fapi-proxy/clerk/<platform>`
 * is this checkout's adapter) into one file under `node_modules/.cache/conformance/` and
 * returns its path and text.
 *
 * @example
 * const { path } = await bundle('worker.mjs', "export { default } from './adapters/cloudflare.ts'", 'esm')
 */
export async function bundle(name: string, source: string, format: 'iife' | 'esm'): Promise<{ path: string; code: string }> {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts', sourcefile: name },
    bundle: true,
    format,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser', 'import'],
    target: 'es2022',
    // The examples import the package by name: point that at this checkout's source.
    alias: Object.fromEntries(
      ['bun', 'deno', 'vercel', 'netlify', 'cloudflare'].map((name) => [`@fapi-proxy/clerk/${name}`, `${root}adapters/${name}.ts`]),
    ),
    write: false,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]!.text
  const dir = `${root}node_modules/.cache/conformance`
  mkdirSync(dir, { recursive: true })
  const path = `${dir}/${name}`
  writeFileSync(path, code)
  return { path, code }
}
