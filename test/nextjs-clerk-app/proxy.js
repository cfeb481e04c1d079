// The README's Next.js 16 middleware ("proxy.ts") as a user writes it: Clerk's real
// clerkMiddleware() wrapped by withClerkProxy, the default prefix, the README's matcher.
import { clerkMiddleware } from '@clerk/nextjs/server'
import { withClerkProxy } from '@fapi-proxy/clerk/nextjs'

export default withClerkProxy(clerkMiddleware())

export const config = {
  matcher: [
    '/((?!_next|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)',
    '/(api|trpc)(.*)',
    '/__clerk/:path*',
  ],
}
