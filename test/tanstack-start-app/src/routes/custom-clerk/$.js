// The conformance suite's custom prefix (CLERK_PROXY_PATH=/custom-clerk/ in one run), route mode.
import { createFileRoute } from '@tanstack/react-router'
import { clerkProxyHandlers } from '@fapi-proxy/clerk/tanstack-start'

export const Route = createFileRoute('/custom-clerk/$')({ server: { handlers: clerkProxyHandlers() } })
