// Next.js 16 middleware ("proxy.ts"; "middleware.ts" before 16), as in the README: the proxy
// answers its prefix before the wrapped middleware (clerkMiddleware() in a real app) runs.
import { NextResponse } from 'next/server'
import { withClerkProxy } from '@fapi-proxy/clerk/nextjs'

function authMiddleware() {
  const response = NextResponse.next()
  response.headers.set('x-inner-middleware', 'ran')
  return response
}

export default withClerkProxy(authMiddleware, { proxyPath: '/__clerk_mw' })

// The README's matcher (Clerk's default two patterns plus the prefix), with this fixture's prefix.
export const config = {
  matcher: [
    '/((?!_next|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)',
    '/(api|trpc)(.*)',
    '/__clerk_mw/:path*',
  ],
}
