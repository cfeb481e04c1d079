// Types for manifests.mjs, so the TypeScript tests can use it.
export interface Manifests {
  pkg: Record<string, any>
  deno: Record<string, any>
  jsr: Record<string, any>
  lock: Record<string, any> | undefined
}
export interface ExportEntry {
  key: string
  specifier: string
  source: string | undefined
  js: string | undefined
  types: string | undefined
}
export function readJson(file: string): any
export function readManifests(root: string): Manifests
export function distPaths(source: string): { js: string; types: string }
export function specifierFor(name: string, key: string): string
export function exportEntries(root: string): ExportEntry[]
export function globMatcher(pattern: string): (path: string) => boolean
export function publishedToJsr(publish: { include?: string[]; exclude?: string[] } | undefined, path: string): boolean
export function jsrPublishedSources(root: string): string[]
export function manifestProblems(root: string, options?: { checkBuild?: boolean }): string[]
