// The proxy shared by the frameworks that hand it a web Request (React Router, Astro, SvelteKit,
// TanStack Start, Elysia): what it answers, and the configuration it refuses inside an app.
import { describe, expect, test } from 'vitest'
import { requestProxy } from '../../src/request-proxy.ts'

const SECRET = 'sk_live_requestProxySecretValue1234567890'

describe('requestProxy', () => {
  test('handles only paths under the configured prefix; others resolve to undefined without any request', async () => {
    const proxy = requestProxy({ env: { CLERK_SECRET_KEY: SECRET, CLERK_PROXY_PATH: '/auth-proxy' } })
    expect(proxy.handles(new Request('http://app.test/auth-proxy/v1/client'))).toBe(true)
    expect(proxy.handles(new Request('http://app.test/auth-proxy'))).toBe(true)
    expect(proxy.handles(new Request('http://app.test/auth-proxyx/v1/client'))).toBe(false)
    expect(proxy.handles(new Request('http://app.test/__clerk/v1/client'))).toBe(false)
    expect(await proxy(new Request('http://app.test/home'))).toBeUndefined()
  })

  test('"/" as the prefix is refused on first use, naming where it came from, never the secret', async () => {
    for (const [env, source] of [
      [{ CLERK_SECRET_KEY: SECRET, CLERK_PROXY_PATH: '/' }, 'CLERK_PROXY_PATH'],
      [{ CLERK_SECRET_KEY: SECRET, CLERK_PROXY_URL: 'https://app.example.com/' }, 'CLERK_PROXY_URL'],
    ] as const) {
      const error = await requestProxy({ env }).call(undefined, new Request('http://app.test/home')).catch((e: unknown) => e)
      expect(String(error)).toContain(source)
      expect(String(error)).toContain('"/" would send every route of the app to Clerk')
      expect(String(error)).not.toContain(SECRET)
    }
  })

  test('any other bad setting is answered per request on the prefix (500 naming the variable), the app untouched', async () => {
    const proxy = requestProxy({ env: { CLERK_SECRET_KEY: 'not-a-secret-1234' } })
    expect(await proxy(new Request('http://app.test/home'))).toBeUndefined()
    const answered = await proxy(new Request('http://app.test/__clerk/v1/client'))
    expect(answered?.status).toBe(500)
    const body = await answered!.text()
    expect(body).toContain('CLERK_SECRET_KEY')
    expect(body).not.toContain('not-a-secret-1234')
  })
})
