// Cloudflare Workers module: CLERK_SECRET_KEY is a secret (`wrangler secret put CLERK_SECRET_KEY`),
// CLERK_PROXY_URL a var in wrangler.toml.
export { default } from '@fapi-proxy/clerk/cloudflare'
