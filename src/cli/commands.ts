import { disableCommand, enableCommand } from './enable.ts'
import { doctorCommand } from './doctor.ts'
import { processIo } from './process-io.ts'

/** The operator commands, appended to the top-level `--help`. */
export const COMMANDS_USAGE: string = `
Commands (run clerk-proxy <command> --help for each):
  clerk-proxy [serve] [options]          run the proxy (the default)
  clerk-proxy doctor <proxy URL>         check a deployed proxy from outside
  clerk-proxy enable --proxy-url <url>   switch your Clerk instance to the proxy (Backend API)
  clerk-proxy disable                    switch it back to Clerk's own domain
`

/**
 * Runs the operator subcommand named by the first argument and resolves with its exit code,
 * or with `'serve'` when the arguments are for the server (no subcommand, or `serve`).
 *
 * @example
 * const code = await runSubcommand(['doctor', 'https://app.example.com/__clerk'])
 */
export async function runSubcommand(argv: readonly string[]): Promise<number | 'serve'> {
  const [name, ...rest] = argv
  if (name === 'doctor') return doctorCommand(rest, processIo())
  if (name === 'enable') return enableCommand(rest, processIo())
  if (name === 'disable') return disableCommand(rest, processIo())
  if (name !== undefined && name !== 'serve' && !name.startsWith('-')) {
    process.stderr.write(`clerk-proxy: unknown command "${name}" (commands: serve, doctor, enable, disable)\nRun clerk-proxy --help for usage.\n`)
    return 2
  }
  return 'serve'
}
