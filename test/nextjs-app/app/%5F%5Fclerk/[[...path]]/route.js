// The README's copyable block: Node.js runtime, configuration from the environment.
export { GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD } from '@fapi-proxy/clerk/nextjs'
