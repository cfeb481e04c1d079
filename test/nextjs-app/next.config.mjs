import { fileURLToPath } from 'node:url'

// The fixture imports the package itself ('@fapi-proxy/clerk/nextjs', resolved to the built
// dist/ through package.json "exports"), which lives above this folder.
const packageRoot = fileURLToPath(new URL('../..', import.meta.url))

/** @type {import('next').NextConfig} */
export default {
  turbopack: { root: packageRoot },
  outputFileTracingRoot: packageRoot,
  // next start reads this file again when it starts: the body-limit suites start the same build
  // with a small limit (FIXTURE_NEXT_MAX_BODY=1mb) to test every side of it with small bodies.
  ...(process.env.FIXTURE_NEXT_MAX_BODY ? { experimental: { proxyClientMaxBodySize: process.env.FIXTURE_NEXT_MAX_BODY } } : {}),
}
