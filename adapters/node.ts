/**
 * The Node adapter: a standalone proxy server on `@hono/node-server`, streaming through an
 * undici pool so compressed assets stay compressed. The `clerk-proxy` CLI runs this.
 *
 * @example
 * import { serve } from '@fapi-proxy/clerk/node'
 * await serve({ port: 3000, trustProxy: 1 })
 *
 * @module
 */
export { serve, type RunningServer, type ServeOptions } from '../src/node/server.ts'
export {
  nodeForwarder,
  nodePeerAddress,
  readNodeHeader,
  type NodeForwarder,
  type NodeForwarderHooks,
  type UpstreamConnectionEvents,
} from '../src/node/forward.ts'
export type { UpstreamNotices } from '../src/node/upstream-pool.ts'
export type { UpstreamConfig, UpstreamOptions } from '../src/config/upstream.ts'
export { createLogger, type AccessLogEntry, type LogFormat, type Logger } from '../src/log.ts'
export type { ServerConfigOptions } from '../src/config/server.ts'
export type { StandaloneServeOptions } from '../src/standalone/serve.ts'
export type { Readiness, ReadinessState, UpstreamConnectivity } from '../src/readiness.ts'
