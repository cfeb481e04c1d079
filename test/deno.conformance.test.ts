import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describeConformance } from './conformance/suite.ts'
import { spawnServer } from './support/spawn-server.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const deno = `${root}node_modules/.bin/deno`
const entry = `${root}adapters/deno.ts`

describeConformance({
  name: 'deno',
  // The documented command, with exactly the variables given (plus Deno's cache inside the project).
  start: (env) =>
    spawnServer(deno, ['run', '--allow-net', '--allow-env', entry], { ...env, PORT: '0', HOST: '127.0.0.1', DENO_DIR: `${root}.deno`, NO_COLOR: '1' }),
  expectedClientIp: '127.0.0.1',
  encoding: 'recompressed',
  propagatesAbort: true,
})

// The Deno Deploy / `deno serve` shape (examples/deno/main.ts): an entry re-exporting the default.
const serveEntry = `${root}.deno/serve-entry.ts`
mkdirSync(`${root}.deno`, { recursive: true })
writeFileSync(serveEntry, `export { default } from '../adapters/deno.ts'\n`)

describeConformance({
  name: 'deno serve (Deno Deploy entry)',
  start: (env) =>
    spawnServer(deno, ['serve', '--allow-net', '--allow-env', '--port', '0', '--host', '127.0.0.1', serveEntry], {
      ...env,
      DENO_DIR: `${root}.deno`,
      NO_COLOR: '1',
    }),
  expectedClientIp: '127.0.0.1',
  encoding: 'recompressed',
  propagatesAbort: true,
})
