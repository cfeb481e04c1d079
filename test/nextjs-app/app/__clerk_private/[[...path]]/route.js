// A folder named like the prefix without %5F: App Router treats "_x" folders as private, so
// this must NOT become a route (the test checks /__clerk_private answers 404).
export { GET } from '@fapi-proxy/clerk/nextjs'
