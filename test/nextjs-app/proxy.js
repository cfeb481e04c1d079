// Next.js 16 middleware ("proxy.ts"; "middleware.ts" before 16): the proxy answers its prefix
// before the wrapped middleware (clerkMiddleware() in a real app) sees anything.
import { NextResponse } from 'next/server'
import { withClerkProxy } from '@fapi-proxy/clerk/nextjs'

function authMiddleware() {
  const response = NextResponse.next()
  response.headers.set('x-inner-middleware', 'ran')
  return response
}

export default withClerkProxy(authMiddleware, { proxyPath: '/__clerk_mw' })

export const config = { matcher: ['/', '/__clerk_mw/:path*'] }
