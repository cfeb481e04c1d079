// Types for fapi-stand-in.mjs (the test suite imports it).
export const CLOUDFLARE_IDLE_MS: number
export interface TlsConnection {
  port: number
  alpn: string
  tlsVersion: string
  resumed: boolean
  requests: number
  at: number
}
export interface FapiStandIn {
  readonly ports: number[]
  connections(): TlsConnection[]
  setIdle(ms: number): void
  close(): Promise<unknown>
}
export function startFapiStandIn(options: {
  cert: string
  key: string
  ports: number
  body: string
  idleMs?: number
  log?: (line: string) => void
}): Promise<FapiStandIn>
export function startStandInProcess(
  options: { cert: string; key: string; ports: number; body: string },
  hooks?: { pin?: (pid: number) => void },
): Promise<{
  pid: number
  ports: number[]
  connections(): Promise<TlsConnection[]>
  setIdle(ms: number): Promise<unknown>
  log(): string
  stop(): Promise<void>
}>
