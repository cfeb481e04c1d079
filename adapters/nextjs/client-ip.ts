/** Where the end-user IP comes from on the hosts Next.js runs on. */
import type { ClerkProxyOptions } from '../../src/app.ts'
import { clientIpFromForwardedChain, TRUST_NONE } from '../../src/client-ip.ts'
import { readEnv, type EnvSource } from '../../src/config/env.ts'
import { normalizeIp } from '../../src/ip.ts'

/**
 * Where the end-user IP comes from:
 * - `'vercel'`: Vercel's `x-real-ip` (Vercel overwrites it and `x-forwarded-for`; a client
 *   cannot set them). The default when `VERCEL=1`.
 * - `'x-forwarded-for'`: the chain Next.js's own server (`next start`) hands over. It writes the
 *   socket address only when the request has no `X-Forwarded-For`, and keeps one it received
 *   as is, so the rightmost entry is the nearest peer's report and `TRUST_PROXY` counts from
 *   there (unset or `1`: that entry; `N`: the Nth from the right; addresses: the rightmost one
 *   not listed). The default elsewhere.
 * - a function of the request, for other hosts.
 */
export type NextClientIpSource = 'vercel' | 'x-forwarded-for' | ((request: Request) => string | undefined)

/**
 * The proxy's `clientAddress` for a {@link NextClientIpSource}; without one, `'vercel'` when
 * `VERCEL=1`, else `'x-forwarded-for'`.
 *
 * @example
 * clerkProxy({ clientAddress: clientAddressFor(undefined, process.env) })
 */
export function clientAddressFor(source: NextClientIpSource | undefined, env: EnvSource): NonNullable<ClerkProxyOptions['clientAddress']> {
  const chosen = source ?? (readEnv(env, 'VERCEL') === '1' ? 'vercel' : 'x-forwarded-for')
  if (typeof chosen === 'function') return (c) => chosen(c.req.raw)
  if (chosen === 'vercel') {
    return (c) => {
      const real = c.req.header('x-real-ip')
      return (real && normalizeIp(real.trim())) || clientIpFromForwardedChain(c.req.header('x-forwarded-for'), TRUST_NONE)
    }
  }
  return (c, config) => clientIpFromForwardedChain(c.req.header('x-forwarded-for'), config.trustProxy)
}
