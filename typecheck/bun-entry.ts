// Type-checked with bun-types (tsconfig.bun.json): the Bun adapter fits Bun's real API.
import bunEntry, { bunPeerAddress, serve, type RunningBunServer } from '../adapters/bun.ts'

// The default export is what Bun serves when an entry re-exports it.
const server = Bun.serve({ port: 0, fetch: bunEntry.fetch })
// Bun's real Server is what the adapter reads the client IP from.
const ip: { address: string } | null = server.requestIP(new Request('http://localhost/'))
const running: RunningBunServer = serve({ port: 0, handleSignals: false })
void running.stop()
void server.stop()
export { bunPeerAddress, ip }
