// The proxy as an endpoint. Astro never routes folders starting with "_" (nor %5F%5Fclerk, which
// it decodes), so the prefix folder is a parameter: the endpoint answers 404 outside the prefix,
// and static pages (home.astro) still win over it.
import { clerkProxyEndpoint } from '@fapi-proxy/clerk/astro'

export const ALL = clerkProxyEndpoint()
