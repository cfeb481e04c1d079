/**
 * Builds and serves a Next.js fixture (test/nextjs-app, or another folder beside it) with the
 * real `next` CLI. `next build` runs once per fixture and process (the first caller builds,
 * the others wait for it).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { send } from './cases.ts'

/** The fixtures: the proxy's own (a stand-in auth middleware) and one with Clerk's real `clerkMiddleware()`. */
export type NextFixture = 'nextjs-app' | 'nextjs-clerk-app'
const NEXT_BIN = fileURLToPath(new URL('../../node_modules/next/dist/bin/next', import.meta.url))

/** A running `next start`. */
export interface RunningNext {
  readonly baseUrl: string
  /** Everything the server printed, to check it never logs the secret. */
  output(): string
  stop(): Promise<void>
}

function runNext(fixture: NextFixture, args: string[], env: Record<string, string>, sink: { text: string }): ChildProcess {
  const child = spawn(process.execPath, [NEXT_BIN, ...args], {
    cwd: fileURLToPath(new URL(`../${fixture}`, import.meta.url)),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() ends next and any worker it forks, and nothing else.
    detached: true,
  })
  child.stdout?.on('data', (chunk: Buffer) => (sink.text += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (sink.text += chunk.toString()))
  return child
}

const builds = new Map<NextFixture, Promise<void>>()

/** Runs `next build` for a fixture once per process. */
export function buildNextApp(fixture: NextFixture = 'nextjs-app'): Promise<void> {
  let built = builds.get(fixture)
  if (!built) {
    built = (async () => {
      const sink = { text: '' }
      const child = runNext(fixture, ['build'], {}, sink)
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
      if (code !== 0) throw new Error(`next build failed (${code}):\n${sink.text}`)
    })()
    builds.set(fixture, built)
  }
  return built
}

/**
 * Starts `next start` on a loopback port the OS picks (`-p 0`, read back from the `Local:` line
 * it prints) with exactly these environment variables and waits until the home page answers.
 *
 * @example
 * const app = await startNextApp({ CLERK_SECRET_KEY: SECRET, CLERK_FAPI_URL: fapi.url })
 */
export async function startNextApp(env: Record<string, string>, fixture: NextFixture = 'nextjs-app'): Promise<RunningNext> {
  await buildNextApp(fixture)
  const sink = { text: '' }
  const child = runNext(fixture, ['start', '-p', '0', '-H', '127.0.0.1'], env, sink)
  const stop = async (): Promise<void> => {
    if (child.pid === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(-child.pid, 'SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
    if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
  }
  const deadline = Date.now() + 60_000
  let baseUrl = ''
  for (;;) {
    baseUrl ||= /Local:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(sink.text)?.[1] ?? ''
    try {
      if (baseUrl && (await send(`${baseUrl}/`)).status === 200) break
    } catch {
      // not answering yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`next start did not come up:\n${sink.text}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  return { baseUrl, output: () => sink.text, stop }
}
