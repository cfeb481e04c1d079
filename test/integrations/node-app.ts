/** Listens a Node HTTP server (an Express, Koa, … app) on 127.0.0.1 and a free port, for the suites. */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RunningTarget } from '../conformance/suite.ts'

/**
 * Waits until `server` (already told to listen on port 0) listens; `stop()` drops its
 * connections, closes it, then runs `close` (the proxy's pool).
 *
 * @example
 * return listening(app.listen(0, '127.0.0.1'), () => proxy.close())
 */
export async function listening(server: Server, close: () => Promise<void>): Promise<RunningTarget> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await close()
    },
  }
}
