/** Where configuration values come from: a plain object (`process.env`) or a lookup function. */
export type EnvSource = Readonly<Record<string, string | undefined>> | ((name: string) => string | undefined)

/**
 * Reads one variable from an env source; empty values count as unset.
 *
 * @example
 * readEnv(process.env, 'PORT')
 */
export function readEnv(env: EnvSource | undefined, name: string): string | undefined {
  if (!env) return undefined
  const value = typeof env === 'function' ? env(name) : env[name]
  return value === undefined || value === '' ? undefined : value
}
