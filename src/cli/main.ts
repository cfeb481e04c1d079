import cluster from 'node:cluster'
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resolveConfig, resolveOperationsConfig, type ProxyConfig } from '../config.ts'
import { ConfigurationError } from '../errors.ts'
import { serve, type ServeOptions } from '../node/server.ts'
import { createLogger, type LogFormat, type Logger } from '../node/log.ts'
import { runPrimary, serveAsWorker } from '../node/workers.ts'
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
  const logFormat = (args.log ?? process.env['CLERK_PROXY_LOG'] ?? 'pretty') as LogFormat
  if (!['pretty', 'json', 'off'].includes(logFormat)) {
    process.stderr.write(`clerk-proxy: CLERK_PROXY_LOG must be one of pretty, json, off, got "${logFormat}"\n`)
    return 1
  }
  const logger = createLogger(logFormat)
  const options: ServeOptions = {
    env: process.env,
    log: logger,
    port: args.port,
    host: args.host,
    proxyPath: args.proxyPath,
    proxyUrl: args.proxyUrl,
    fapiUrl: args.fapiUrl,
    trustProxy: args.trustProxy,
    timeout: args.timeout,
    metricsPort: args.metricsPort === undefined ? undefined : Number(args.metricsPort),
    metricsHost: args.metricsHost,
    // A worker stops when the primary tells it to (see workers.ts).
    handleSignals: !cluster.isWorker,
  }
  try {
    const operations = resolveOperationsConfig({ ...options, metricsPort: args.metricsPort, workers: args.workers }, availableParallelism())
    if (operations.workers > 1 && cluster.isPrimary) {
      // Validated once here, so a bad value is reported once rather than by every worker.
      const config = resolveConfig(options)
      const suffix = ` (${operations.workers} workers)`
      return await runPrimary(operations, logger, (url, metricsUrl) => announce(logger, url + suffix, config, metricsUrl))
    }
    const running = await serve(options)
    if (cluster.isWorker) serveAsWorker(running)
    else announce(logger, running.url, running.config, running.metricsUrl)
    return undefined
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`clerk-proxy: ${error.message}\nSet these in the environment, a .env file, or with flags (clerk-proxy --help).\n`)
      return 1
    }
    const code = (error as { code?: string }).code
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      process.stderr.write(`clerk-proxy: cannot listen: ${(error as Error).message}\n`)
      return 1
    }
    throw error
  }
}

/** The start-up line: where the server listens and what it proxies to (never the secret key). */
function announce(logger: Logger, url: string, config: ProxyConfig, metricsUrl: string | undefined): void {
  logger.info(`clerk-proxy ${packageVersion()} listening on ${url}`, {
    prefix: config.proxyPath || '/',
    fapi: config.fapiOrigin + config.fapiBasePath,
    proxyUrl: config.proxyUrl ?? '(derived per request from the Host header; set CLERK_PROXY_URL in production)',
    trustProxy: config.trustProxy.kind === 'none' ? 'none' : config.trustProxy.kind === 'hops' ? `${config.trustProxy.hops} hop(s)` : config.trustProxy.description,
    timeoutMs: config.timeoutMs,
    ...(metricsUrl ? { metrics: `${metricsUrl}/metrics` } : {}),
  })
}
