// The smallest Nuxt app with Clerk's module; Clerk's server middleware is registered by hand
// (server/middleware/01.clerk.js) so it runs after the proxy's (00.clerk-proxy.js).
export default {
  modules: ['@clerk/nuxt'],
  clerk: { skipServerMiddleware: true },
  telemetry: false,
  devtools: { enabled: false },
}
