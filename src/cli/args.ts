import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { LogFormat } from '../log.ts'

/** The flag definitions `parseArgs` takes. */
export type FlagDefinitions = NonNullable<ParseArgsConfig['options']>

/** What the `clerk-proxy` command line asked for. */
export interface ServeArguments {
  readonly help: boolean
  readonly version: boolean
  readonly envFile: string | undefined
  readonly port: number | undefined
  readonly host: string | undefined
  readonly proxyPath: string | undefined
  readonly proxyUrl: string | undefined
  readonly fapiUrl: string | undefined
  readonly trustProxy: string | undefined
  readonly timeout: string | undefined
  readonly log: LogFormat | undefined
  readonly workers: string | undefined
  readonly metricsPort: string | undefined
  readonly metricsHost: string | undefined
}

/** A command-line mistake, reported with the usage hint. */
export class UsageError extends Error {
  override name = 'UsageError'
}

const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json', 'off']

/** What {@link parseFlags} returns: the values of the flags and the positionals. */
export type ParsedFlags<Options extends FlagDefinitions> = ReturnType<typeof parseArgs<{ args: string[]; strict: true; allowPositionals: boolean; options: Options }>>

/**
 * Parses the flags of a command strictly: an unknown flag or a missing value throws a
 * {@link UsageError}.
 *
 * @example
 * const { values } = parseFlags(['--domain', 'example.com'], { domain: { type: 'string' } })
 */
export function parseFlags<Options extends FlagDefinitions>(argv: readonly string[], options: Options, allowPositionals = false): ParsedFlags<Options> {
  try {
    return parseArgs({ args: [...argv], strict: true, allowPositionals, options })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/**
 * Parses `clerk-proxy` flags. Unknown flags and bad values throw a {@link UsageError}.
 *
 * @example
 * parseServeArguments(['--port', '8080', '--log', 'json'])
 */
export function parseServeArguments(argv: readonly string[]): ServeArguments {
  const { values } = parseFlags(argv, {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    'env-file': { type: 'string' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    path: { type: 'string' },
    'proxy-url': { type: 'string' },
    'fapi-url': { type: 'string' },
    'trust-proxy': { type: 'string' },
    timeout: { type: 'string' },
    log: { type: 'string' },
    workers: { type: 'string', short: 'w' },
    'metrics-port': { type: 'string' },
    'metrics-host': { type: 'string' },
  })
  let port: number | undefined
  if (values.port !== undefined) {
    port = Number(values.port)
    if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, got "${values.port}"`)
  }
  const log = values.log as LogFormat | undefined
  if (log !== undefined && !LOG_FORMATS.includes(log)) throw new UsageError(`--log must be one of ${LOG_FORMATS.join(', ')}, got "${values.log}"`)
  return {
    help: values.help ?? false,
    version: values.version ?? false,
    envFile: values['env-file'],
    port,
    host: values.host,
    proxyPath: values.path,
    proxyUrl: values['proxy-url'],
    fapiUrl: values['fapi-url'],
    trustProxy: values['trust-proxy'],
    timeout: values.timeout,
    log,
    workers: values.workers,
    metricsPort: values['metrics-port'],
    metricsHost: values['metrics-host'],
  }
}

/** The `--help` text. */
export const SERVE_USAGE: string = `clerk-proxy: a Clerk Frontend API proxy

Usage:
  clerk-proxy [options]

Serves <prefix>/* (default /__clerk) by forwarding to Clerk's Frontend API with the
Clerk-Proxy-Url, Clerk-Secret-Key and X-Forwarded-For headers Clerk requires.

Options (each overrides the environment variable in brackets):
  -p, --port <n>          port to listen on [PORT] (default 3000)
      --host <addr>       address to bind [HOST] (default 0.0.0.0)
      --path <prefix>     path prefix to serve [CLERK_PROXY_PATH] (default: path of the proxy URL, else /__clerk)
      --proxy-url <url>   public proxy URL, e.g. https://app.example.com/__clerk [CLERK_PROXY_URL]
                          (default: derived per request from the Host the client used)
      --fapi-url <url>    Frontend API base URL [CLERK_FAPI_URL] (default: from CLERK_PUBLISHABLE_KEY,
                          else https://frontend-api.clerk.dev)
      --trust-proxy <v>   proxies in front whose X-Forwarded-For to believe [TRUST_PROXY]:
                          a hop count (1) or addresses/CIDRs (10.0.0.0/8, loopback, private)
                          (default: none; the socket address is the client)
      --timeout <t>       upstream timeout, ms or s (30000, 30s) [CLERK_PROXY_TIMEOUT] (default 30s)
      --log <format>      pretty | json | off [CLERK_PROXY_LOG] (default pretty)
  -w, --workers <n>       worker processes sharing the port, or auto (one per CPU) [CLERK_PROXY_WORKERS] (default 1)
      --metrics-port <n>  serve Prometheus metrics on 127.0.0.1:<n>/metrics [CLERK_PROXY_METRICS_PORT] (default: off)
      --metrics-host <a>  address of the metrics listener [CLERK_PROXY_METRICS_HOST] (default 127.0.0.1)
      --env-file <path>   read variables from this file (default: .env in the current folder, if present)
  -h, --help              show this help
  -v, --version           show the version

Required environment:
  CLERK_SECRET_KEY        your instance secret key (sk_live_…); never printed

Optional environment:
  CLERK_PUBLISHABLE_KEY   picks the Frontend API host when CLERK_FAPI_URL is not set
  CLERK_PROXY_MAX_BODY    largest request body, bytes or 512kb/10mb; 0 = no limit (default 10mb)
  CLERK_PROXY_HEADERS_TIMEOUT  time a client has to send its request headers (default 20s)
  CLERK_PROXY_REQUEST_TIMEOUT  time a client has to send its whole request; 0 = none (default 120s)
  CLERK_PROXY_SHUTDOWN_TIMEOUT time in-flight requests get after SIGTERM (default 10s)

Examples:
  CLERK_SECRET_KEY=sk_live_… CLERK_PROXY_URL=https://app.example.com/__clerk clerk-proxy
  clerk-proxy --port 8080 --trust-proxy 1 --log json
`
