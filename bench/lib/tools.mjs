// nginx and wrk: used from PATH, installed with apt when missing (Debian/Ubuntu, as root).
import { execFileSync, spawnSync } from 'node:child_process'

/** @param {string} name */
function onPath(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0
}

/** Makes sure `nginx` and `wrk` can be run; installs them with apt-get when missing. */
export function ensureTools() {
  const missing = ['nginx', 'wrk'].filter((name) => !onPath(name) && !onPath(`/usr/sbin/${name}`))
  if (missing.length === 0) return
  process.stdout.write(`installing ${missing.join(', ')} with apt-get…\n`)
  const sudo = process.getuid?.() === 0 ? [] : ['sudo']
  const run = (args) => execFileSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  run(['apt-get', 'update'])
  run(['apt-get', 'install', '-y', 'nginx', 'wrk'])
}

/** The nginx binary (Debian installs it in /usr/sbin, which is not on every PATH). */
export function nginxBinary() {
  return onPath('nginx') ? 'nginx' : '/usr/sbin/nginx'
}

/** `nginx -v` output. */
export function nginxVersion() {
  const out = spawnSync(nginxBinary(), ['-v'], { encoding: 'utf8' })
  return (out.stderr || out.stdout).trim().replace(/^nginx version: /, '')
}
