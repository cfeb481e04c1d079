import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * Starts `server` listening on `host:port` and resolves with the address bound (the port
 * picked with `port: 0`); rejects when it cannot listen (the port is taken, say).
 *
 * @example
 * const { port } = await listenOn(createServer(handler), 0, '127.0.0.1')
 */
export function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
}
