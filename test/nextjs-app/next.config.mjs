import { fileURLToPath } from 'node:url'

// The fixture imports the package itself ('@fapi-proxy/clerk/nextjs', resolved to the built
// dist/ through package.json "exports"), which lives above this folder.
const packageRoot = fileURLToPath(new URL('../..', import.meta.url))

/** @type {import('next').NextConfig} */
export default {
  turbopack: { root: packageRoot },
  outputFileTracingRoot: packageRoot,
  // next start -H 127.0.0.1 hands proxy.js a request.url on `localhost` but resolves rewrites
  // against 127.0.0.1, so clerkMiddleware()'s same-URL rewrite (how it passes auth to pages)
  // becomes an external proxy to localhost and the page answers 500. With this, proxy.js sees
  // the URL next start resolves against. (A Next.js/Clerk interaction; no wrapper involved.)
  skipProxyUrlNormalize: true,
}
