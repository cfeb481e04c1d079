// Next.js 16 middleware ("proxy.ts"; "middleware.ts" before 16), as in the README: the proxy
// answers its prefix before Clerk's real clerkMiddleware() runs. The x-inner-middleware header
// shows where the wrapped middleware ran.
import { clerkMiddleware } from '@clerk/nextjs/server'
import { NextResponse } from 'next/server'
import { withClerkProxy } from '@fapi-proxy/clerk/nextjs'

function markInner() {
  const response = NextResponse.next()
  response.headers.set('x-inner-middleware', 'ran')
  return response
}

// Clerk's own built-in proxy is on too, on another prefix, measured against ours in the same run.
const clerk = clerkMiddleware(
  markInner,
  // Enabling frontendApiProxy makes Clerk point its handshake at that prefix unless proxyUrl is
  // given here (it does not fall back to NEXT_PUBLIC_CLERK_PROXY_URL then): keep ours.
  { proxyUrl: process.env.NEXT_PUBLIC_CLERK_PROXY_URL, frontendApiProxy: { enabled: true, path: '/__clerk_builtin' } },
)

// Suites that start this app without Clerk's keys (the body limits) get the wrapped middleware alone.
export default withClerkProxy(process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY ? clerk : markInner, { proxyPath: '/__clerk_mw' })

// The README's matcher (Clerk's default two patterns plus the prefix), with this fixture's
// prefixes: the route-handler prefixes are kept away from clerkMiddleware(), as the README says.
export const config = {
  matcher: [
    '/((?!_next|__clerk/|__clerk_edge/|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)',
    '/(api|trpc)(.*)',
    '/__clerk_mw/:path*',
    '/__clerk_builtin/:path*',
  ],
}
