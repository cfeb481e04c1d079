// What the results were measured on.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { nginxVersion } from './tools.mjs'

function firstLine(command, args) {
  const out = spawnSync(command, args, { encoding: 'utf8' })
  if (out.error) return 'not installed'
  return `${out.stdout}${out.stderr}`.trim().split('\n')[0] ?? ''
}

/** @param {string} root */
export function describeMachine(root) {
  let cpu = 'unknown'
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu
  } catch {}
  let os = process.platform
  try {
    os = /^PRETTY_NAME="?([^"\n]+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os
  } catch {}
  return {
    // Every CPU of the machine (the bench pins itself to some of them later).
    nproc: cpus().length,
    cpu,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os,
    node: process.version,
    bun: firstLine(join(root, 'node_modules/.bin/bun'), ['--version']),
    deno: firstLine(join(root, 'node_modules/.bin/deno'), ['--version']),
    nginx: nginxVersion(),
    wrk: firstLine('wrk', ['-v']).split(' [')[0],
    loadAverage: loadavg().map((n) => n.toFixed(2)).join(' '),
  }
}
