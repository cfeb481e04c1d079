import { defineEventHandler } from 'h3'
import { clerkProxyEventHandler } from '@fapi-proxy/clerk/nuxt'

export default defineEventHandler(clerkProxyEventHandler())
