// Bun: `bun run server.ts` (or, without this file: `bun run node_modules/@fapi-proxy/clerk/adapters/bun.ts`).
// Reads CLERK_SECRET_KEY, CLERK_PROXY_URL, PORT, HOST, TRUST_PROXY, … from the environment
// (Bun also loads .env by itself).
import { serve } from '@fapi-proxy/clerk/bun'

const running = serve()
console.log(`clerk-proxy listening on ${running.url}`)
