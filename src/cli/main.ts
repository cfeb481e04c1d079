import cluster from 'node:cluster'
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resolveServerConfig } from '../config/server.ts'
import { createLogger, type Logger } from '../log.ts'
import { serve, type ServeOptions } from '../node/server.ts'
import { runPrimary, serveAsWorker } from '../node/workers.ts'
import { startupFailure, startupFields } from '../standalone/start.ts'
import { parseServeArguments, SERVE_USAGE, UsageError, type ServeArguments } from './args.ts'
import { COMMANDS_USAGE, runSubcommand } from './commands.ts'

/** The package version, read from the package manifest. */
export function packageVersion(): string {
  const manifest = new URL('../../../package.json', import.meta.url)
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}

/**
 * Runs `clerk-proxy`. Resolves with the process exit code when the command ends by itself
 * (help, version, a start-up failure); a started server keeps running until a signal.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2))
 */
export async function main(argv: readonly string[]): Promise<number | undefined> {
  const subcommand = await runSubcommand(argv)
  if (subcommand !== 'serve') return subcommand
  if (argv[0] === 'serve') argv = argv.slice(1)
  let args: ServeArguments
  try {
    args = parseServeArguments(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`clerk-proxy: ${error.message}\nRun clerk-proxy --help for usage.\n`)
    return 2
  }
  if (args.help) {
    process.stdout.write(SERVE_USAGE + COMMANDS_USAGE)
    return 0
  }
  if (args.version) {
    process.stdout.write(`${packageVersion()}\n`)
    return 0
  }
  const envFile = args.envFile ?? (existsSync('.env') ? '.env' : undefined)
  if (envFile !== undefined) {
    try {
      // Variables already set in the environment win over the file.
      process.loadEnvFile(envFile)
    } catch (error) {
      process.stderr.write(`clerk-proxy: cannot read env file ${envFile}: ${(error as Error).message}\n`)
      return 1
    }
  }
  const options: ServeOptions = {
    env: process.env,
    log: args.log,
    port: args.port,
    host: args.host,
    proxyPath: args.proxyPath,
    proxyUrl: args.proxyUrl,
    fapiUrl: args.fapiUrl,
    trustProxy: args.trustProxy,
    timeout: args.timeout,
    metricsPort: args.metricsPort,
    metricsHost: args.metricsHost,
    // A worker stops when the primary tells it to (see workers.ts).
    handleSignals: !cluster.isWorker,
  }
  try {
    if (cluster.isPrimary) {
      // Validated once here, so a bad value is reported once rather than by every worker.
      const config = resolveServerConfig({ ...options, workers: args.workers }, availableParallelism())
      if (config.workers > 1) {
        const logger = createLogger(config.log)
        const announce = (url: string, metricsUrl: string | undefined): void => announceOn(logger, `${url} (${config.workers} workers)`, startupFields(config.proxy, metricsUrl))
        return await runPrimary(config, logger, announce)
      }
    }
    const running = await serve(options)
    if (cluster.isWorker) serveAsWorker(running)
    else announceOn(running.logger, running.url, startupFields(running.config, running.metricsUrl))
    return undefined
  } catch (error) {
    const message = startupFailure(error, 'Set these in the environment, a .env file, or with flags (clerk-proxy --help).')
    if (message === undefined) throw error
    process.stderr.write(message + '\n')
    return 1
  }
}

/** The start-up line: where the server listens and what it proxies to (never the secret key). */
function announceOn(logger: Logger, url: string, fields: Record<string, string | number>): void {
  logger.info(`clerk-proxy ${packageVersion()} listening on ${url}`, fields)
}
