import { sveltekit } from '@sveltejs/kit/vite'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// This folder's package.json (adapter-node needs one) hides the package's own name from
// self-reference, so the entry is aliased to the built package (dist/).
const entry = fileURLToPath(new URL('../../dist/adapters/sveltekit.js', import.meta.url))

export default defineConfig({
  plugins: [sveltekit()],
  resolve: { alias: { '@fapi-proxy/clerk/sveltekit': entry } },
  logLevel: 'warn',
})
