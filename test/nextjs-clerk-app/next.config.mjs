import { fileURLToPath } from 'node:url'

// Like test/nextjs-app: the fixture imports the package itself from the built dist/ above it.
const packageRoot = fileURLToPath(new URL('../..', import.meta.url))

/** @type {import('next').NextConfig} */
export default {
  turbopack: { root: packageRoot },
  outputFileTracingRoot: packageRoot,
}
