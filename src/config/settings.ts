/**
 * How a group of settings is read: each value from its programmatic option first, else from
 * the first of its environment variables that is set, then validated with one zod schema.
 * A problem names where the bad value came from (`option port`, `PORT`), never the value of
 * the secret.
 */
import * as z from 'zod/mini'
import { ConfigurationError } from '../errors.ts'
import { readEnv, type EnvSource } from './env.ts'

/** Each setting: its option name and the environment variables that can carry it, in order. */
export type SettingSources = Readonly<Record<string, readonly string[]>>

/**
 * Collects the raw values of `sources` from `options` and `env` and validates them with
 * `schema`. Returns the parsed values. On a problem it throws a `ConfigurationError` listing
 * each one, or, given `problems`, adds them there and returns `undefined` (so that a caller can
 * gather the problems of several groups before reporting them).
 *
 * @example
 * const problems: string[] = []
 * readSettings({ port: ['PORT'] }, z.object({ port: z.optional(z.string()) }), {}, { PORT: '80' }, problems)
 */
export function readSettings<T>(
  sources: SettingSources,
  schema: z.ZodMiniType<T>,
  options: Readonly<Record<string, unknown>>,
  env: EnvSource | undefined,
  problems?: string[],
): T | undefined {
  // Where a value comes from: its option, else the first of its variables that is set.
  const from = (name: string): string =>
    options[name] !== undefined ? `option ${name}` : (sources[name]!.find((v) => readEnv(env, v) !== undefined) ?? sources[name]![0]!)
  const raw: Record<string, unknown> = {}
  for (const name in sources) raw[name] = options[name] ?? readEnv(env, from(name))
  const parsed = schema.safeParse(raw)
  if (parsed.success) return parsed.data
  const found = parsed.error.issues.map((issue) => `${from(issue.path[0] as string)} ${issue.message}`)
  if (!problems) throw new ConfigurationError(found)
  problems.push(...found)
  return undefined
}

/**
 * Records a problem from inside a zod transform and returns zod's "no value" marker.
 *
 * @example
 * z.transform((text: string, ctx) => (ok(text) ? text : fail(ctx, text, 'must be …')))
 */
export function fail(ctx: z.core.ParsePayload, input: unknown, message: string): never {
  ctx.issues.push({ code: 'custom', message, input })
  return z.NEVER
}

/**
 * A string with surrounding white space removed.
 *
 * @example
 * z.object({ host: z.optional(trimmedString()) })
 */
export const trimmedString = (): z.ZodMiniString<string> => z.string().check(z.trim())

/**
 * A port number from 0 to 65535, given as a number or as text.
 *
 * @example
 * z.object({ port: z.optional(portNumber()) })
 */
export const portNumber = (): z.ZodMiniType<number, number | string> =>
  z.pipe(
    z.union([z.number(), z.string()]),
    z.transform((value: number | string, ctx) => {
      const text = String(value).trim()
      if (!/^\d+$/.test(text) || Number(text) > 65535) return fail(ctx, value, `must be a port number from 0 to 65535, got "${text}"`)
      return Number(text)
    }),
  )
