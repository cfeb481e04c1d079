/**
 * The proxy inside a Fastify app: a plugin whose `onRequest` hook answers `<prefix>/*` before
 * routing results, content-type parsers or any `preHandler` (such as `@clerk/fastify`'s
 * `clerkPlugin`) run, streaming both ways on the raw Node request and response.
 *
 * @example
 * import Fastify from 'fastify'
 * import { clerkPlugin } from '@clerk/fastify'
 * import { clerkProxyPlugin } from '@fapi-proxy/clerk/fastify'
 *
 * const app = Fastify()
 * await app.register(clerkProxyPlugin) // first: before clerkPlugin and body-reading plugins
 * await app.register(clerkPlugin, { proxyUrl: 'https://app.example.com/__clerk' })
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClerkProxyOptions } from '../src/app.ts'
import { nodeAppProxy, type NodeAppProxy } from '../src/node/middleware.ts'

export type { ClerkProxyOptions } from '../src/app.ts'

/**
 * The part of a Fastify instance the plugin uses. Written out rather than imported so the
 * package's types do not require `fastify` (an optional peer) where this entry is unused.
 */
export interface FastifyHooks {
  /** Where the proxy answers its prefix, before parsers and `preHandler` hooks. */
  addHook(
    name: 'onRequest',
    hook: (
      request: { raw: IncomingMessage; log: { error(details: object, message: string): void } },
      reply: { raw: ServerResponse; hijack(): unknown },
      done: () => void,
    ) => void,
  ): unknown
  /** Where the proxy closes its upstream pool. */
  addHook(name: 'onClose', hook: (instance: never, done: (error?: Error) => void) => void): unknown
}

/** A Fastify plugin callback, as `app.register()` takes it. */
export type ClerkProxyPlugin = (instance: FastifyHooks, options: ClerkProxyOptions, done: (error?: Error) => void) => void

/**
 * The plugin. Register it with the proxy's options (they mirror the environment variables,
 * read from `process.env` by default); it is not encapsulated, so its hook sees every request
 * of the app, and it closes its upstream pool when the app closes. `TRUST_PROXY` decides which
 * `X-Forwarded-For` entries to believe, independently of Fastify's `trustProxy`.
 *
 * @example
 * await app.register(clerkProxyPlugin, { proxyUrl: 'https://app.example.com/__clerk', trustProxy: 1 })
 */
export const clerkProxyPlugin: ClerkProxyPlugin = Object.assign(
  (instance: FastifyHooks, options: ClerkProxyOptions, done: (error?: Error) => void): void => {
    let proxy: NodeAppProxy
    try {
      proxy = nodeAppProxy(options) // validates: a bad value rejects `app.register()`, naming it
    } catch (error) {
      return done(error as Error)
    }
    instance.addHook('onRequest', (request, reply, next) => {
      if (!proxy.handles(request.raw)) return next()
      // Fastify stops here: no body parser, no preHandler, no reply of its own.
      reply.hijack()
      proxy.handle(request.raw, reply.raw).catch((error: unknown) => {
        request.log.error({ err: error }, 'clerk proxy failed')
        reply.raw.destroy()
      })
    })
    instance.addHook('onClose', (_instance, closed) => void proxy.close().then(() => closed(), closed))
    done()
  },
  // What fastify-plugin sets: the hook applies to the whole app, not an encapsulated child.
  { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@fapi-proxy/clerk' },
)
