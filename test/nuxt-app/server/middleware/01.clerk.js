import { clerkMiddleware } from '@clerk/nuxt/server'

export default clerkMiddleware()
