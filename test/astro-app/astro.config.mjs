// The smallest server-rendered Astro app on the Node adapter, with Clerk's integration.
import clerk from '@clerk/astro'
import node from '@astrojs/node'
import { defineConfig } from 'astro/config'

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  integrations: [clerk()],
  // Without an allowed domain Astro ignores Host and builds request URLs on http://localhost,
  // so its checkOrigin (on by default) refuses every same-origin form POST, Clerk's included.
  security: { allowedDomains: [{ hostname: '127.0.0.1' }] },
  logLevel: 'warn',
})
