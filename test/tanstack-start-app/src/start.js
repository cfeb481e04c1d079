import { clerkMiddleware } from '@clerk/tanstack-react-start/server'
import { createMiddleware, createStart } from '@tanstack/react-start'
import { clerkProxyMiddleware } from '@fapi-proxy/clerk/tanstack-start'

// FIXTURE_PROXY=route: the server route answers the prefix and no global Clerk middleware runs;
// otherwise the proxy middleware answers it before Clerk's.
const routeOnly = process.env.FIXTURE_PROXY === 'route'
const clerkProxy = createMiddleware().server(clerkProxyMiddleware())

export const startInstance = createStart(() => ({ requestMiddleware: routeOnly ? [] : [clerkProxy, clerkMiddleware()] }))
