#!/usr/bin/env node
// Runs the soak suite for longer, with its p99 and RSS bounds enforced:
//   npm run soak -- --seconds 180 [--connections 256]
// (npm run soak builds first: the soak drives the real `node bin/clerk-proxy.js`.)
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '180' }, connections: { type: 'string', default: '128' } },
})
const root = fileURLToPath(new URL('../', import.meta.url))
const result = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/reliability/soak.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SOAK_SECONDS: values.seconds, SOAK_CONNECTIONS: values.connections, SOAK_STRICT: '1' },
})
process.exit(result.status ?? 1)
