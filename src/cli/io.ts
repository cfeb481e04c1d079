import { existsSync } from 'node:fs'
import { parseFlags, type FlagDefinitions, type ParsedFlags } from './args.ts'

/**
 * Where a subcommand reads and writes. `main()` passes the process's streams; tests pass
 * buffers so a command can run in-process and its every word be inspected.
 */
export interface CommandIo {
  /** Results: the checklist, the JSON document, confirmations. */
  readonly stdout: { write(text: string): unknown }
  /** Progress, warnings and errors. */
  readonly stderr: { write(text: string): unknown }
  /** The environment (CLERK_SECRET_KEY, CLERK_API_URL, …). */
  readonly env: Readonly<Record<string, string | undefined>>
  /**
   * Asks the operator a question and resolves with the typed line, or is absent when no one
   * can answer (stdin is not a terminal).
   */
  readonly ask?: (question: string) => Promise<string>
  /** Loads an env file into `env` (the process's `process.loadEnvFile`); absent in tests. */
  readonly loadEnvFile?: (path: string) => void
}

/**
 * Replaces every occurrence of `secret` in `text` so nothing the CLI prints can carry it,
 * whatever a server echoed back.
 *
 * @example
 * redact('key sk_live_abc rejected', 'sk_live_abc') // 'key [secret key hidden] rejected'
 */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text
  return text.split(secret).join('[secret key hidden]')
}

/**
 * An {@link CommandIo} whose output streams never print `secret`, however it got into a message.
 *
 * @example
 * const safe = redactingIo(io, io.env['CLERK_SECRET_KEY'])
 */
export function redactingIo(io: CommandIo, secret: string | undefined): CommandIo {
  if (!secret) return io
  return {
    ...io,
    stdout: { write: (text: string) => io.stdout.write(redact(text, secret)) },
    stderr: { write: (text: string) => io.stderr.write(redact(text, secret)) },
  }
}

/**
 * Loads `--env-file` (or `.env` in the current folder when present) through `io.loadEnvFile`,
 * when the caller provides one. Variables already set win. Resolves to an exit code on failure.
 *
 * @example
 * const failed = loadEnvFileFor(io, values['env-file'])
 * if (failed) return failed
 */
export function loadEnvFileFor(io: CommandIo, envFile: string | undefined): number | undefined {
  if (!io.loadEnvFile) return undefined
  const file = envFile ?? (existsSync('.env') ? '.env' : undefined)
  if (file === undefined) return undefined
  try {
    io.loadEnvFile(file)
    return undefined
  } catch (error) {
    io.stderr.write(`clerk-proxy: cannot read env file ${file}: ${(error as Error).message}\n`)
    return 1
  }
}

/** The flags every operator command has. */
type CommonFlags = { help: { type: 'boolean'; short: 'h' }; 'env-file': { type: 'string' } }
const COMMON_FLAGS: CommonFlags = { help: { type: 'boolean', short: 'h' }, 'env-file': { type: 'string' } }

/**
 * The common start of an operator command: parses its flags plus `--help` and `--env-file` (a
 * mistake prints the usage hint and ends it with 2), prints `usage` for `--help` (ends it with
 * 0), loads the env file (a failure ends it with 1). Returns the parsed flags, or the exit code
 * when the command ends here.
 *
 * @example
 * const started = startCommand(argv, io, 'disable', DISABLE_USAGE, { domain: { type: 'string' } })
 * if (typeof started === 'number') return started
 */
export function startCommand<Flags extends FlagDefinitions>(
  argv: readonly string[],
  io: CommandIo,
  command: string,
  usage: string,
  flags: Flags,
  allowPositionals = false,
): ParsedFlags<Flags & CommonFlags> | number {
  let parsed: ParsedFlags<Flags & CommonFlags>
  try {
    parsed = parseFlags(argv, { ...flags, ...COMMON_FLAGS }, allowPositionals)
  } catch (error) {
    return usageError(io, command, (error as Error).message)
  }
  const values = parsed.values as { help?: boolean; 'env-file'?: string }
  if (values.help) {
    io.stdout.write(usage)
    return 0
  }
  return loadEnvFileFor(io, values['env-file']) ?? parsed
}

/**
 * Reports a command-line mistake with the usage hint; returns the exit code 2.
 *
 * @example
 * return usageError(io, 'doctor', 'expected one proxy URL, got 2')
 */
export function usageError(io: CommandIo, command: string, message: string): number {
  io.stderr.write(`clerk-proxy ${command}: ${message}\nRun clerk-proxy ${command} --help for usage.\n`)
  return 2
}
