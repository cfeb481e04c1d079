/**
 * The README's Next.js 16 setup with Clerk's real SDK (test/nextjs-clerk-app): `clerkMiddleware()`
 * from `@clerk/nextjs` wrapped by `withClerkProxy`, served by `next start -H 127.0.0.1`, the
 * proxy pointed at the FAPI stand-in. Nothing here reaches Clerk: a signed-out visitor needs no
 * network, and the publishable key names a host that is never contacted.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { announce, settledUploads, upload } from '../support/body-uploads.ts'
import { startFapiStandIn, type FapiStandIn } from '../support/fapi-stand-in.ts'
import { SECRET, send } from './cases.ts'
import { startNextApp, type RunningNext } from './nextjs-app.ts'

const MIB = 1024 * 1024
const PUBLISHABLE_KEY = `pk_live_${Buffer.from('clerk.app.example.test$').toString('base64')}`

let fapi: FapiStandIn
let app: RunningNext | undefined

beforeAll(async () => {
  fapi = await startFapiStandIn()
  app = await startNextApp({ CLERK_SECRET_KEY: SECRET, NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: PUBLISHABLE_KEY, CLERK_FAPI_URL: fapi.url }, 'nextjs-clerk-app')
}, 240_000)

afterAll(async () => {
  await app?.stop()
  await fapi?.close()
  expect(app?.output() ?? '').not.toContain(SECRET)
})

describe('clerkMiddleware() wrapped by withClerkProxy under next start -H 127.0.0.1', () => {
  test('pages render with Clerk\'s auth state (Next.js would otherwise proxy each page to itself and answer 500 after 30 s)', async () => {
    const page = await send(`${app!.baseUrl}/`)
    expect(page.status).toBe(200)
    expect(page.headers['x-clerk-auth-status']).toBe('signed-out')
    expect(page.body.toString()).toContain('home page behind clerkMiddleware: <!-- -->signed out')
  })

  test('the prefix is answered by the proxy, not by clerkMiddleware()', async () => {
    const res = await send(`${app!.baseUrl}/__clerk/v1/environment?x=clerk1`)
    expect(res.status).toBe(200)
    expect(res.headers['x-clerk-auth-status']).toBeUndefined()
    const upstream = await fapi.waitFor((r) => r.url.includes('x=clerk1'))
    expect(upstream.headers['clerk-secret-key']).toBe(SECRET)
  })

  test('the issue\'s upload: 12 MiB chunked is refused (413), never forwarded as a complete 10 MiB', async () => {
    const answer = await upload(`${app!.baseUrl}/__clerk/upload?x=clerk2`, 12 * MIB, 'chunked')
    expect(answer.status).toBe(413)
    expect(JSON.stringify(answer.json)).toContain('experimental.proxyClientMaxBodySize in next.config')
    for (const record of await settledUploads(fapi, 'x=clerk2')) expect(record.completed).toBe(false)
  })

  test('a declared 10 MiB arrives whole; a declared 10 MiB + 1 is refused before reaching Clerk', async () => {
    const whole = await upload(`${app!.baseUrl}/__clerk/upload?x=clerk3`, 10 * MIB, 'content-length')
    expect(whole.status).toBe(200)
    expect((whole.json as { bodyLength: number }).bodyLength).toBe(10 * MIB)
    const over = await announce(`${app!.baseUrl}/__clerk/upload?x=clerk4`, 10 * MIB + 1)
    expect(over.status).toBe(413)
    expect(await settledUploads(fapi, 'x=clerk4')).toEqual([])
  })
})
