/**
 * Builds a framework fixture app once per test file and starts its production server offline,
 * on 127.0.0.1 and a port the OS chooses (PORT=0, reported by report-port.mjs).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect } from 'vitest'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'

const REPORT_PORT = fileURLToPath(new URL('./report-port.mjs', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A running production server. */
export interface RunningServer {
  readonly baseUrl: string
  /** Everything the server printed, to check it never logs the secret. */
  output(): string
  stop(): Promise<void>
}

/** What a fixture needs: its folder, the build command and the server command (paths from the repository root). */
export interface FrameworkApp {
  readonly dir: string
  readonly build: readonly string[]
  readonly serve: readonly string[]
}

const offline = { NEXT_TELEMETRY_DISABLED: '1', ASTRO_TELEMETRY_DISABLED: '1', NUXT_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', NODE_ENV: 'production' }

function run(app: FrameworkApp, args: readonly string[], env: Record<string, string>, sink: { text: string }, preload: boolean): ChildProcess {
  const [bin, ...rest] = args
  const child = spawn(process.execPath, [...(preload ? ['--import', REPORT_PORT] : []), `${ROOT}/${bin}`, ...rest], {
    cwd: `${ROOT}/${app.dir}`,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...offline, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() ends the server and any worker it forks, and nothing else.
    detached: true,
  })
  child.stdout?.on('data', (chunk: Buffer) => (sink.text += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (sink.text += chunk.toString()))
  return child
}

const builds = new Map<string, Promise<void>>()

/**
 * Runs the fixture's production build once per test process.
 *
 * @example
 * await buildApp(REACT_ROUTER_APP)
 */
export function buildApp(app: FrameworkApp): Promise<void> {
  let built = builds.get(app.dir)
  if (!built) {
    built = (async () => {
      const sink = { text: '' }
      const child = run(app, app.build, {}, sink, false)
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
      if (code !== 0) throw new Error(`${app.build.join(' ')} failed (${code}):\n${sink.text}`)
    })()
    builds.set(app.dir, built)
  }
  return built
}

/**
 * Builds (once) and starts the fixture's production server with exactly these environment
 * variables, resolving when it listens.
 *
 * @example
 * const server = await startApp(REACT_ROUTER_APP, { CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url })
 */
export async function startApp(app: FrameworkApp, env: Record<string, string>): Promise<RunningServer> {
  await buildApp(app)
  const sink = { text: '' }
  const child = run(app, app.serve, { HOST: '127.0.0.1', PORT: '0', ...env }, sink, true)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
    process.kill(-child.pid, 'SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL')
    await exited
  }
  const port = await new Promise<number | undefined>((resolve) => {
    const onData = (): void => {
      const match = /framework-server-port=(\d+)/.exec(sink.text)
      if (match) resolve(Number(match[1]))
    }
    child.stderr?.on('data', onData)
    void exited.then(() => resolve(undefined))
  })
  if (port === undefined) throw new Error(`${app.serve.join(' ')} did not start:\n${sink.text}`)
  return { baseUrl: `http://127.0.0.1:${port}`, output: () => sink.text, stop }
}

/** A fixture app started once for a test file, beside a FAPI stand-in. */
export interface StartedApp {
  app(): RunningServer
  fapi(): FapiStandIn
}

/**
 * Starts the stand-in and the fixture app in `beforeAll` (the environment built from the
 * stand-in), stops both in `afterAll`, and checks the server never printed the secret.
 *
 * @example
 * const started = startedApp(APP, (fapi) => ({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url }), SECRET)
 */
export function startedApp(app: FrameworkApp, envFor: (fapi: FapiStandIn) => Record<string, string>, secret: string): StartedApp {
  let fapi: FapiStandIn | undefined
  let running: RunningServer | undefined
  beforeAll(async () => {
    fapi = await startFapiStandIn()
    running = await startApp(app, envFor(fapi))
  }, 120_000)
  afterAll(async () => {
    await running?.stop()
    await fapi?.close()
    expect(running?.output() ?? '').not.toContain(secret)
  })
  return { app: () => running!, fapi: () => fapi! }
}
