/**
 * The proxy beside a framework's real Clerk SDK (`@clerk/express`, `@clerk/fastify`,
 * `@clerk/nextjs`, …), over real HTTP: the prefix is answered without Clerk's authentication
 * touching it, Clerk still guards every other route (its handshake pointing at the proxy), and
 * no framework middleware read a proxied body first.
 *
 * What the SDKs do here without network: a signed-out request and the handshake redirect are
 * decided from cookies and keys alone. Verifying a real session token (JWKS from Clerk's Backend
 * API) is not exercised: no request in these cases carries a `__session`.
 */
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import type { FapiStandIn } from '../support/fapi-stand-in.ts'
import { send } from './cases.ts'

/**
 * A production publishable key whose encoded Frontend API host is `host`, so an SDK that derives
 * its Frontend API from the key names the local stand-in rather than Clerk.
 *
 * @example
 * publishableKeyFor('127.0.0.1:4321') // 'pk_live_MTI3LjAuMC4xOjQzMjEk'
 */
export function publishableKeyFor(host: string): string {
  return `pk_live_${Buffer.from(`${host}$`).toString('base64')}`
}

/** An app with the proxy and a Clerk SDK, and what the cases need to know about it. */
export interface ClerkSdkTarget {
  readonly name: string
  baseUrl(): string
  fapi(): FapiStandIn
  /** The proxy prefix, e.g. `/__clerk`. */
  readonly prefix: string
  /** The public proxy URL Clerk's handshake must point at. */
  proxyUrl(): string
  /** A page Clerk's middleware guards, and text its signed-out answer contains. */
  readonly page: { readonly path: string; readonly signedOut: string }
}

// A browser that signed in before (`__client_uat` > 0) but has no session cookie: Clerk must
// refresh it through a handshake when it navigates to a page.
const RETURNING_BROWSER = { cookie: '__client_uat=1700000000', 'sec-fetch-dest': 'document', accept: 'text/html' }

/**
 * Registers the cases for one app.
 *
 * @example
 * describeClerkSdkBeside({ name: 'express + @clerk/express', baseUrl: () => url, fapi: () => fapi, … })
 */
export function describeClerkSdkBeside(target: ClerkSdkTarget): void {
  describe(`beside Clerk's SDK: ${target.name}`, () => {
    test("Clerk's middleware still guards pages: a returning browser gets its handshake, pointing at the proxy", async () => {
      const res = await send(target.baseUrl() + target.page.path, { headers: RETURNING_BROWSER })
      expect(res.status).toBe(307)
      expect(res.headers['x-clerk-auth-status']).toBe('handshake')
      const location = new URL(String(res.headers.location))
      expect(`${location.origin}${location.pathname}`).toBe(`${target.proxyUrl()}/v1/client/handshake`)
      expect(location.searchParams.get('redirect_url')).toContain(target.page.path)
    })

    test("a signed-out request without Clerk cookies reaches the page with Clerk's signed-out auth", async () => {
      const res = await send(target.baseUrl() + target.page.path)
      expect(res.status).toBe(200)
      expect(res.body.toString()).toContain(target.page.signedOut)
    })

    test("the prefix is answered by the proxy, never by Clerk's authentication (no handshake)", async () => {
      const tag = randomBytes(6).toString('hex')
      const res = await send(`${target.baseUrl()}${target.prefix}/v1/client?tag=${tag}`, { headers: RETURNING_BROWSER })
      expect(res.status).toBe(200)
      expect(res.headers['x-clerk-auth-status']).toBeUndefined()
      const upstream = await target.fapi().waitFor((r) => r.url.includes(tag))
      expect(upstream.url).toBe(`/v1/client?tag=${tag}`)
      expect(upstream.headers['cookie']).toBe(RETURNING_BROWSER.cookie)
    })

    test('a JSON body reaches Clerk byte for byte: no body parser read it first', async () => {
      const body = JSON.stringify({ identifier: 'user@example.com', padding: randomBytes(64 * 1024).toString('base64') })
      const res = await send(`${target.baseUrl()}${target.prefix}/upload`, {
        method: 'POST',
        body,
        headers: { ...RETURNING_BROWSER, 'content-type': 'application/json' },
      })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body.toString())).toEqual({
        bodyLength: Buffer.byteLength(body),
        bodySha256: createHash('sha256').update(body).digest('hex'),
      })
    })
  })
}
