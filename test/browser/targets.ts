/**
 * The proxy deployments the browser suite runs against. Each starts the proxy in front of a
 * FAPI stand-in and serves the app page; the browser only ever talks to `appUrl` and
 * `proxyUrl`.
 *
 * - `node`: the Node adapter's `serve()` (what the CLI runs) on its own port, the page on
 *   another one (same site, cross origin: FAPI's CORS answers pass through the proxy).
 * - `workerd`: the core `clerkProxy` inside a small Worker in workerd (Miniflare), page and
 *   proxy on one origin, the environment from the Worker's bindings.
 */
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import { serve } from '../../adapters/node.ts'
import { appPageHtml } from '../support/app-page.ts'
import { startAppServer } from '../support/app-server.ts'
import { DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY } from '../support/clerk-js-stand-in.ts'

/** A running deployment: where the page is, where the proxy is. */
export interface ProxyTarget {
  /** The app page, e.g. `http://localhost:41234/`. */
  readonly appUrl: string
  /** The public proxy URL the page hands clerk-js, e.g. `http://localhost:41235/__clerk`. */
  readonly proxyUrl: string
  close(): Promise<void>
}

/** The clerk-js version label the page puts in the script URL, as Clerk's loaders do: the major. */
export const SCRIPT_VERSION = '6'

/**
 * Node: `serve()` from the Node adapter plus a separate app server.
 *
 * @example
 * const target = await startNodeTarget(fapi.url)
 */
export async function startNodeTarget(fapiUrl: string): Promise<ProxyTarget> {
  const proxy = await serve({
    env: {},
    port: 0,
    host: '127.0.0.1',
    secretKey: DEMO_SECRET_KEY,
    publishableKey: DEMO_PUBLISHABLE_KEY,
    fapiUrl,
    log: 'off',
    handleSignals: false,
  })
  const proxyUrl = `http://localhost:${proxy.port}/__clerk`
  const app = await startAppServer(appPageHtml({ publishableKey: DEMO_PUBLISHABLE_KEY, proxyUrl, clerkJsVersion: SCRIPT_VERSION }))
  return {
    appUrl: `${app.url}/`,
    proxyUrl,
    async close() {
      await Promise.all([app.close(), proxy.shutdown(1000)])
    },
  }
}

/**
 * workerd: the core proxy bundled into `worker-entry.ts`, run by Miniflare on a free port.
 *
 * @example
 * const target = await startWorkerdTarget(fapi.url)
 */
export async function startWorkerdTarget(fapiUrl: string): Promise<ProxyTarget> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./worker-entry.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
  })
  const mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: '2026-04-01',
    host: '127.0.0.1',
    port: 0,
    bindings: {
      CLERK_SECRET_KEY: DEMO_SECRET_KEY,
      CLERK_PUBLISHABLE_KEY: DEMO_PUBLISHABLE_KEY,
      CLERK_FAPI_URL: fapiUrl,
      APP_HTML: appPageHtml({ publishableKey: DEMO_PUBLISHABLE_KEY, proxyUrl: '/__clerk', clerkJsVersion: SCRIPT_VERSION }),
    },
  })
  const ready = await mf.ready
  const origin = `http://localhost:${ready.port}`
  return {
    appUrl: `${origin}/`,
    proxyUrl: `${origin}/__clerk`,
    async close() {
      await mf.dispose()
    },
  }
}
