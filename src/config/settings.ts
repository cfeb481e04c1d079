/**
 * How a group of settings is read: each value from its programmatic option first, else from
 * the first of its environment variables that is set, then validated with one zod schema.
 * A problem names where the bad value came from (`option port`, `PORT`), never the value of
 * the secret.
 */
import * as z from 'zod/mini'
import { readEnv, type EnvSource } from './env.ts'

/** Each setting: its option name and the environment variables that can carry it, in order. */
export type SettingSources = Readonly<Record<string, readonly string[]>>

/** The parsed values, or the problems found, each starting with the option or variable at fault. */
export type SettingsResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] }

/**
 * Collects the raw values of `sources` from `options` and `env` and validates them with `schema`.
 *
 * @example
 * readSettings({ port: ['PORT'] }, z.object({ port: z.optional(z.string()) }), {}, { PORT: '80' })
 */
export function readSettings<T>(
  sources: SettingSources,
  schema: z.ZodMiniType<T>,
  options: Readonly<Record<string, unknown>>,
  env: EnvSource | undefined,
): SettingsResult<T> {
  const raw: Record<string, unknown> = {}
  const origin: Record<string, string> = {}
  for (const name of Object.keys(sources)) {
    const variables = sources[name]!
    const fromOption = options[name]
    if (fromOption !== undefined) {
      raw[name] = fromOption
      origin[name] = `option ${name}`
      continue
    }
    for (const variable of variables) {
      const value = readEnv(env, variable)
      if (value !== undefined) {
        raw[name] = value
        origin[name] = variable
        break
      }
    }
    origin[name] ??= variables[0]!
  }
  const parsed = schema.safeParse(raw)
  if (parsed.success) return { ok: true, value: parsed.data }
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0])
    return `${origin[key] ?? key} ${issue.message}`
  })
  return { ok: false, problems }
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
