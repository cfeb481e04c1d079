import { clerkProxyRoute } from '@fapi-proxy/clerk/nextjs'

export const runtime = 'edge'
// As on Vercel: the client IP is Vercel's x-real-ip (the test sends it as Vercel's edge would).
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD } = clerkProxyRoute({ proxyPath: '/__clerk_edge', clientIp: 'vercel' })
