/**
 * Starts a proxy server as a child process (Bun, Deno) and reads the URL it prints, so the
 * conformance suite can talk to it over real HTTP. Stopped by its pid, SIGTERM then SIGKILL.
 */
import { spawn } from 'node:child_process'
import type { RunningTarget } from '../conformance/suite.ts'

export interface SpawnedServer extends RunningTarget {
  readonly pid: number
  /** Everything the process wrote so far (stdout then stderr). */
  output(): string
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>
}

/**
 * Spawns `command args` with exactly `env`, waits until it prints `listening on http://…` (any case),
 * and rejects with its output (the configuration message) when it exits first.
 *
 * @example
 * const server = await spawnServer('node_modules/.bin/bun', ['run', 'adapters/bun.ts'], { PORT: '0', … })
 */
export function spawnServer(command: string, args: readonly string[], env: Record<string, string>, timeoutMs = 60_000): Promise<SpawnedServer> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  // 'close', not 'exit': by then every line the process wrote has been read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  const output = (): string => stdout + stderr
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    // Generous: a graceful stop on a loaded machine can take seconds; the kill is only a backstop.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(timer)
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`${command} did not start within ${timeoutMs} ms:\n${output()}`))
    }, timeoutMs)
    // Our servers print the address on stdout; `deno serve` prints it on stderr.
    const onOutput = (): void => {
      const match = /listening on (http:\/\/\S+)/i.exec(output())
      if (match) {
        clearTimeout(timer)
        resolve({ baseUrl: match[1]!.replace(/\/$/, ''), pid: child.pid!, output, exited, stop })
      }
    }
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      onOutput()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      onOutput()
    })
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${command} exited with code ${code} before listening:\n${output()}`))
    })
  })
}
