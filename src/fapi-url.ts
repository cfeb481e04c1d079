/** Where production and development instances are served when no FAPI URL is given. */
export const DEFAULT_FAPI_URL = 'https://frontend-api.clerk.dev'

/**
 * Picks the Frontend API base URL for a publishable key, as Clerk's own helper does:
 * staging hosts map to Clerk's staging FAPI, local Clerk hosts to the local one (except legacy
 * `clerk.*.lclclerk.com` development hosts, served by production FAPI), everything
 * else to `https://frontend-api.clerk.dev` (which identifies the instance by its secret key).
 * Returns `undefined` when the key is not a well-formed publishable key.
 *
 * @example
 * fapiUrlFromPublishableKey('pk_live_' + btoa('clerk.example.com$')) // 'https://frontend-api.clerk.dev'
 */
export function fapiUrlFromPublishableKey(publishableKey: string): string | undefined {
  const host = frontendApiHost(publishableKey)
  if (host === undefined) return undefined
  // Legacy development instances (`clerk.<app>.lclclerk.com`) were served by production FAPI.
  if (host.startsWith('clerk.') && host.endsWith('.lclclerk.com')) return DEFAULT_FAPI_URL
  if (host.endsWith('.accountsstage.dev')) return 'https://frontend-api.clerkstage.dev'
  if (host.endsWith('.lclclerk.com')) return 'https://frontend-api.lclclerk.com'
  return DEFAULT_FAPI_URL
}

/**
 * The Frontend API host encoded in a publishable key (`pk_live_`/`pk_test_` + base64 of
 * `host$`), or `undefined` when the key is malformed.
 *
 * @example
 * frontendApiHost('pk_test_' + btoa('foo.clerk.accounts.dev$')) // 'foo.clerk.accounts.dev'
 */
export function frontendApiHost(publishableKey: string): string | undefined {
  const match = /^pk_(?:live|test)_([A-Za-z0-9+/=_-]+)$/.exec(publishableKey)
  if (!match) return undefined
  let decoded: string
  try {
    decoded = atob(match[1]!.replace(/-/g, '+').replace(/_/g, '/'))
  } catch {
    return undefined
  }
  if (!decoded.endsWith('$')) return undefined
  const host = decoded.slice(0, -1)
  return /^[a-z0-9.-]+(:\d+)?$/i.test(host) ? host : undefined
}
