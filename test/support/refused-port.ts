import { connect } from 'node:net'

/**
 * Ports below the ephemeral range (32768+) are never handed out by `listen(0)`, so no other
 * test's server can take one between this check and its use, as it can a port freed by closing
 * a listener. None is on the fetch spec's list of blocked ports.
 */
const CANDIDATES = [1023, 1021, 1019, 1017, 1013, 1011] as const

/** Whether a connection to 127.0.0.1:`port` is refused (nothing listens there). */
function isRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}

/**
 * A loopback port where connections are refused: an unreachable Clerk. A test that later
 * listens on the port itself passes candidates of its own, so no other test finds it refused.
 *
 * @example
 * const fapiUrl = `http://127.0.0.1:${await refusedPort()}`
 */
export async function refusedPort(candidates: readonly number[] = CANDIDATES): Promise<number> {
  for (const port of candidates) if (await isRefused(port)) return port
  throw new Error(`every candidate port accepts connections: ${candidates.join(', ')}`)
}
