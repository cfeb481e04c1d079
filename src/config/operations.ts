/**
 * Operating a standalone server: the Prometheus metrics listener and Node's worker processes.
 * Read together with the other server settings into the one `ServerConfig` (see server.ts);
 * {@link resolveOperationsConfig} validates them alone.
 */
import * as z from 'zod/mini'
import type { ServerConfigOptions } from './server.ts'
import { fail, portNumber, readSettings, trimmedString } from './settings.ts'

/** The operating settings a program can pass (see `ServerConfigOptions`); each wins over its variable. */
export type OperationsOptions = Pick<ServerConfigOptions, 'metricsPort' | 'metricsHost' | 'workers' | 'env'>

/** Operating settings after validation. */
export interface OperationsConfig {
  /** Where the metrics listener binds; `undefined` when metrics are off. */
  readonly metrics: { readonly port: number; readonly host: string } | undefined
  /** How many Node worker processes serve requests (1: no cluster). */
  readonly workers: number
}

/** Default address of the metrics listener: traffic figures are not for the public. */
export const DEFAULT_METRICS_HOST = '127.0.0.1'

/** Each operating setting: its option name and the environment variable that carries it. */
const OPERATIONS_SETTINGS = {
  metricsPort: ['CLERK_PROXY_METRICS_PORT'],
  metricsHost: ['CLERK_PROXY_METRICS_HOST'],
  workers: ['CLERK_PROXY_WORKERS'],
} as const

// `workers` is a count or `auto` until the CPU count is known.
const schema = z.object({
  metricsPort: z.optional(portNumber()),
  metricsHost: z.optional(
    z.pipe(
      trimmedString(),
      z.transform((text: string, ctx) =>
        /^[A-Za-z0-9.:[\]-]+$/.test(text) ? text.replace(/^\[|\]$/g, '') : fail(ctx, text, `must be an address like 127.0.0.1 or 0.0.0.0, got "${text}"`),
      ),
    ),
  ),
  workers: z.optional(
    z.pipe(
      z.union([z.number(), z.string()]),
      z.transform((value: number | string, ctx): number | 'auto' => {
        const text = String(value).trim()
        if (/^auto$/i.test(text)) return 'auto'
        if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 256) return fail(ctx, value, `must be a number of workers from 1 to 256, or auto, got "${text}"`)
        return Number(text)
      }),
    ),
  ),
})

/**
 * Reads and validates the operating settings of `options` and `options.env`; `cpuCount` is
 * what `workers: 'auto'` means. On a problem it throws a `ConfigurationError` naming each bad
 * variable or option, or, given `problems`, adds them there and returns `undefined`.
 *
 * @example
 * readOperationsSettings({ env: { CLERK_PROXY_METRICS_PORT: '9464' } }, 1) // { metrics: { port: 9464, host: '127.0.0.1' }, workers: 1 }
 */
export function readOperationsSettings(options: OperationsOptions, cpuCount: number, problems?: string[]): OperationsConfig | undefined {
  const value = readSettings(OPERATIONS_SETTINGS, schema, { ...options }, options.env, problems)
  if (!value) return undefined
  return {
    metrics: value.metricsPort === undefined ? undefined : { port: value.metricsPort, host: value.metricsHost ?? DEFAULT_METRICS_HOST },
    workers: value.workers === 'auto' ? Math.max(1, cpuCount) : (value.workers ?? 1),
  }
}

/**
 * Validates the operating settings alone. `cpuCount` is what `workers: 'auto'` means. Throws a
 * `ConfigurationError` naming each bad variable or option.
 *
 * @example
 * resolveOperationsConfig({ env: { CLERK_PROXY_METRICS_PORT: '9464', CLERK_PROXY_WORKERS: 'auto' } }, 2)
 * // { metrics: { port: 9464, host: '127.0.0.1' }, workers: 2 }
 */
export function resolveOperationsConfig(options: OperationsOptions, cpuCount: number): OperationsConfig {
  return readOperationsSettings(options, cpuCount)!
}
