// Type-checked with `deno check`: the Deno and Netlify adapters fit Deno's real API.
import denoEntry, { denoPeerAddress, serve, type RunningDenoServer } from '../adapters/deno.ts'
import netlifyHandler, { config as netlifyConfig } from '../adapters/netlify.ts'

// The default export is what `deno serve` and Deno Deploy call.
const entry: Deno.ServeDefaultExport = denoEntry
// Deno's real handler info is what the adapter reads the client IP from.
const server = Deno.serve({ port: 0, onListen() {} }, (request, info) => denoEntry.fetch(request, info))
const running: RunningDenoServer = serve({ port: 0, handleSignals: false })
const netlifyPaths: readonly string[] = netlifyConfig.path
const netlify: (request: Request, context: { ip: string; next(): Promise<Response> }) => Promise<Response> = netlifyHandler
await running.stop()
await server.shutdown()
export { denoPeerAddress, entry, netlify, netlifyPaths }
