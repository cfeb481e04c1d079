// The proxy answers its prefix in the handle hook, before any route or other hook.
import { clerkProxyHandle } from '@fapi-proxy/clerk/sveltekit'

export const handle = clerkProxyHandle()
