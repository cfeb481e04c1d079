import { fileURLToPath } from 'node:url'
import { describeConformance } from './conformance/suite.ts'
import { spawnServer } from './support/spawn-server.ts'

const bun = fileURLToPath(new URL('../node_modules/.bin/bun', import.meta.url))
const entry = fileURLToPath(new URL('../adapters/bun.ts', import.meta.url))

describeConformance({
  name: 'bun',
  // `bun run adapters/bun.ts`, the documented command, with exactly the variables given.
  start: (env) => spawnServer(bun, ['run', entry], { ...env, PORT: '0', HOST: '127.0.0.1' }),
  expectedClientIp: '127.0.0.1',
  encoding: 'passthrough',
  propagatesAbort: true,
})
