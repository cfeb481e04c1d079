/**
 * The Dockerfile, without a container engine (none on these machines): its instructions are
 * carried out in a clean temporary folder standing in for the image's filesystem (`/src`,
 * `/tmp`, `/app` mapped into it): the build stage's COPY list and build + pack commands, then
 * the runtime stage's `npm install` of the tarball. Then the ENTRYPOINT runs with the image's
 * environment and the probes answer: /healthz, /readyz, and the HEALTHCHECK command itself.
 *
 * Not run here (said in docs/operating.md): the base images (node:24-bookworm-slim, node:24-alpine; this machine runs
 * Node 20), the build stage's `npm ci` (the repository's installed modules stand in for it),
 * `USER node` (checked as text below), and the container's network namespace (the test binds
 * 127.0.0.1 instead of the image's 0.0.0.0).
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { sendRaw } from '../support/http-client.ts'
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const SECRET = 'sk_live_containerTestSecret0123456789'

interface Instruction {
  readonly keyword: string
  readonly args: string
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ')
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/)
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') }
    })
}

const dockerfile = instructions(readFileSync(join(root, 'Dockerfile'), 'utf8'))

describe('the Dockerfile', () => {
  let image: string
  let fapi: FapiStandIn
  let env: Record<string, string> = {}
  let entrypoint: string[] = []
  let healthcheck: string[] = []
  let server: SpawnedServer | undefined

  /** An absolute path inside the image, inside the stand-in folder. */
  const inImage = (path: string): string => join(image, path)
  const mapPaths = (command: string): string => command.replace(/(^|[\s'"])\/(src|tmp|app)\b/g, (_, before: string, top: string) => `${before}${inImage(top)}`)

  beforeAll(async () => {
    fapi = await startFapiStandIn()
    image = mkdtempSync(join(tmpdir(), 'clerk-proxy-image-'))
    // What every base image has.
    mkdirSync(inImage('tmp'))
    let cwd = image
    for (const { keyword, args } of dockerfile) {
      if (keyword === 'FROM' || keyword === 'EXPOSE' || keyword === 'USER') continue
      if (keyword === 'WORKDIR') {
        cwd = inImage(args)
        mkdirSync(cwd, { recursive: true })
      } else if (keyword === 'ENV') {
        for (const [, name, value] of args.matchAll(/(\w+)=(\S+)/g)) env[name!] = value!
      } else if (keyword === 'COPY') {
        const parts = args.split(/\s+/)
        const fromStage = parts[0]!.startsWith('--from=')
        const paths = fromStage ? parts.slice(1) : parts
        const destination = paths.pop()!
        for (const source of paths) {
          const from = fromStage ? inImage(source) : join(root, source)
          const to = destination.startsWith('/') ? inImage(destination) : join(cwd, destination)
          const target = destination.endsWith('/') || paths.length > 1 ? join(to, source.replace(/\/$/, '').split('/').pop()!) : to
          // The stages share this one folder: a file copied from the build stage is already there.
          if (target !== from) cpSync(from, target, { recursive: true })
        }
      } else if (keyword === 'RUN') {
        for (const command of args.split('&&').map((c) => c.trim())) {
          // The build stage's `npm ci`: the repository's installed modules stand in for it.
          if (/^npm ci\b/.test(command)) {
            symlinkSync(join(root, 'node_modules'), join(cwd, 'node_modules'))
            continue
          }
          // A fresh npm cache, as in a fresh image: npm runs sharing one cache can trip over each other.
          const npmCache = inImage('root/.npm')
          const run = spawnSync('sh', ['-c', mapPaths(command)], { cwd, encoding: 'utf8', env: { ...process.env, ...env, npm_config_cache: npmCache }, timeout: 240_000 })
          if (run.status !== 0) throw new Error(`RUN ${command} failed (${run.status}):\n${run.stdout}${run.stderr}`)
        }
      } else if (keyword === 'HEALTHCHECK') {
        healthcheck = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim()) as string[]
      } else if (keyword === 'ENTRYPOINT') {
        entrypoint = (JSON.parse(args) as string[]).map(mapPaths)
      } else {
        throw new Error(`the test does not know the Dockerfile instruction ${keyword}`)
      }
    }
  }, 300_000)
  afterAll(async () => {
    await server?.stop()
    await fapi?.close()
    if (image) rmSync(image, { recursive: true, force: true })
  })

  test('runs as the unprivileged node user on Node LTS, listening on PORT, with a HEALTHCHECK on /healthz', () => {
    const from = dockerfile.filter((i) => i.keyword === 'FROM').map((i) => i.args)
    expect(from.at(-1)).toMatch(/^node:(22|24)-alpine$/)
    const runtime = dockerfile.slice(dockerfile.findLastIndex((i) => i.keyword === 'FROM'))
    expect(runtime.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual(['node'])
    expect(env['PORT']).toBe('3000')
    expect(healthcheck.join(' ')).toContain('/healthz')
    expect(entrypoint.at(-1)).toMatch(/bin\/clerk-proxy\.js$/)
  })

  test('the runtime stage holds the installed package and its runtime dependencies only', () => {
    const modules = inImage('app/node_modules')
    expect(existsSync(join(modules, '@fapi-proxy/clerk/dist/src/cli/main.js'))).toBe(true)
    for (const dependency of ['hono', '@hono/node-server', 'undici', 'zod']) expect(existsSync(join(modules, dependency)), dependency).toBe(true)
    for (const devOnly of ['typescript', 'vitest', 'next', 'bun', 'deno']) expect(existsSync(join(modules, devOnly)), devOnly).toBe(false)
    expect(existsSync(inImage('tmp/clerk-proxy.tgz'))).toBe(false)
  })

  test('the entry point serves; /healthz, /readyz and the HEALTHCHECK command answer', async () => {
    server = await spawnServer(entrypoint[0] === 'node' ? process.execPath : entrypoint[0]!, entrypoint.slice(1), {
      PATH: process.env['PATH'] ?? '',
      ...env,
      // The test binds loopback and a free port; the image binds 0.0.0.0:3000.
      PORT: '0',
      HOST: '127.0.0.1',
      CLERK_SECRET_KEY: SECRET,
      CLERK_FAPI_URL: fapi.url,
    })
    expect((await sendRaw(server.baseUrl, { target: '/healthz' })).status).toBe(200)
    const ready = await sendRaw(server.baseUrl, { target: '/readyz' })
    expect({ status: ready.status, body: JSON.parse(ready.body.toString()) }).toEqual({ status: 200, body: { status: 'ready' } })
    expect((await sendRaw(server.baseUrl, { target: '/__clerk/v1/environment' })).status).toBe(200)
    const port = new URL(server.baseUrl).port
    const check = spawnSync(healthcheck[0] === 'node' ? process.execPath : healthcheck[0]!, healthcheck.slice(1), { env: { PATH: process.env['PATH'] ?? '', PORT: port }, timeout: 10_000 })
    expect(check.status).toBe(0)
    expect(server.output()).not.toContain(SECRET)
  })

  test('the HEALTHCHECK command fails when nothing answers', async () => {
    const check = spawnSync(process.execPath, healthcheck.slice(1), { env: { PATH: process.env['PATH'] ?? '', PORT: '1' }, timeout: 10_000 })
    expect(check.status).toBe(1)
  })
})
