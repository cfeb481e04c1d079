import { clerkMiddleware } from '@clerk/astro/server'
import { sequence } from 'astro:middleware'
import { clerkProxyMiddleware, withClerkProxy } from '@fapi-proxy/clerk/astro'

// FIXTURE_PROXY=endpoint leaves the prefix to the endpoint in src/pages; otherwise the proxy
// middleware answers it first. Either way clerkMiddleware() never sees the prefix.
const proxyFirst = process.env.FIXTURE_PROXY === 'endpoint' ? [] : [clerkProxyMiddleware()]

export const onRequest = sequence(...proxyFirst, withClerkProxy(clerkMiddleware()))
