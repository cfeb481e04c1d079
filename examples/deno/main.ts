// Deno Deploy entrypoint. Locally: `deno serve --allow-net --allow-env main.ts`.
// Set CLERK_SECRET_KEY and CLERK_PROXY_URL in the project's environment variables.
export { default } from '@fapi-proxy/clerk/deno'
