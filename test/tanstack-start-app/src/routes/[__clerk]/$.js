// The proxy as a server route (used when FIXTURE_PROXY=route; otherwise the request middleware
// in src/start.js answers the prefix first). The brackets keep "__" from meaning a pathless layout.
import { createFileRoute } from '@tanstack/react-router'
import { clerkProxyHandlers } from '@fapi-proxy/clerk/tanstack-start'

export const Route = createFileRoute('/__clerk/$')({ server: { handlers: clerkProxyHandlers() } })
