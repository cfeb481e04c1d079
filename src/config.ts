/**
 * The configuration: every option and environment variable, validated once with zod into one
 * typed object. The proxy settings (`proxy.ts`) are what every platform needs per request; the
 * server settings (`server.ts`) what the standalone servers add. Edge-bundled code imports
 * `./config/proxy.ts` directly so the server settings stay out of edge bundles.
 */
export { readEnv, type EnvSource } from './config/env.ts'
export { DEFAULT_TIMEOUT_MS, readProxySettings, resolveConfig, type ProxyConfig, type ProxyConfigOptions } from './config/proxy.ts'
export {
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  resolveServerConfig,
  type ServerConfig,
  type ServerConfigOptions,
} from './config/server.ts'
export { DEFAULT_METRICS_HOST, resolveOperationsConfig, type OperationsConfig, type OperationsOptions } from './config/operations.ts'
export { DEFAULT_UPSTREAM, readUpstreamSettings, resolveUpstreamConfig, type UpstreamConfig, type UpstreamOptions } from './config/upstream.ts'
