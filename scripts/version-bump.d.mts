// Types for version-bump.mjs, so the TypeScript tests can use it.
export function nextVersion(current: string, request: string): string
export function releaseChangelog(text: string, version: string, date: string): string
export function bumpVersion(root: string, request: string, date?: string): { from: string; to: string; files: string[] }
