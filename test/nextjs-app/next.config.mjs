import { fileURLToPath } from 'node:url'

// The fixture imports the package itself ('@fapi-proxy/clerk/nextjs', resolved to the built
// dist/ through package.json "exports"), which lives above this folder.
const packageRoot = fileURLToPath(new URL('../..', import.meta.url))

/** @type {import('next').NextConfig} */
export default {
  turbopack: { root: packageRoot },
  outputFileTracingRoot: packageRoot,
}
