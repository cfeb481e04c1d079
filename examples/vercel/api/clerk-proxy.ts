// The same handler as a standalone Edge Function (no Next.js): vercel.json routes /__clerk/*
// here. Prefer middleware.ts: a rewrite may add the matched path to the query string.
export { default, config } from '@fapi-proxy/clerk/vercel'
