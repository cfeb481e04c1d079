// Vercel Routing Middleware (any framework, or none): runs at the edge for /__clerk/* only and
// answers those requests itself. Set CLERK_SECRET_KEY and CLERK_PROXY_URL in the project's
// Environment Variables.
export { default } from '@fapi-proxy/clerk/vercel'

export const config = { matcher: ['/__clerk', '/__clerk/:path*'] }
