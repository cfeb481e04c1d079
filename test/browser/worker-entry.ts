/**
 * A minimal Cloudflare Worker for the browser suite (bundled with esbuild, run in workerd by
 * Miniflare): the app page at `/`, the core proxy under `/__clerk`, on one origin. The
 * environment comes from the Worker's bindings per request; the client IP from
 * `CF-Connecting-IP`, which Cloudflare sets. Not the official adapter, just enough of one.
 */
import { Hono } from 'hono'
import { clerkProxy } from '../../src/mod.ts'

interface Bindings {
  readonly APP_HTML: string
  readonly [name: string]: string | undefined
}

const app: Hono<{ Bindings: Bindings }> = new Hono<{ Bindings: Bindings }>()
app.route(
  '/',
  clerkProxy({
    contextEnv: (c) => c.env as Bindings,
    peerAddress: (c) => c.req.header('cf-connecting-ip'),
  }),
)
app.get('*', (c) => c.html(c.env.APP_HTML))

export default app
