import { createInterface } from 'node:readline/promises'
import type { CommandIo } from './io.ts'

/**
 * The {@link CommandIo} of this process: its streams and environment, a prompt only when stdin
 * is a terminal (so CI and pipes never hang waiting for an answer), and `process.loadEnvFile`.
 *
 * @example
 * process.exitCode = await doctorCommand(argv, processIo())
 */
export function processIo(): CommandIo {
  const ask = async (question: string): Promise<string> => {
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    try {
      return await rl.question(question)
    } finally {
      rl.close()
    }
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    ...(process.stdin.isTTY ? { ask } : {}),
    loadEnvFile: (path: string) => process.loadEnvFile(path),
  }
}
