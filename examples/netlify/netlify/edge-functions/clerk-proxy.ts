// Netlify Edge Function for /__clerk/*. Set CLERK_SECRET_KEY and CLERK_PROXY_URL in the site's
// environment variables (scope: Functions).
export { default } from '@fapi-proxy/clerk/netlify'

// Kept in this file: Netlify reads the paths from the function's own source.
export const config = { path: ['/__clerk', '/__clerk/*'] }
