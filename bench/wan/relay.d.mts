// Types for relay.mjs (the test suite imports it).
export interface LinkOptions {
  /** The round-trip time to simulate. */
  rttMs: number
  /** A rate cap per direction and connection; none when unset. */
  bytesPerSecond?: number
}
export interface Relay {
  readonly port: number
  /** Connections accepted so far. */
  connections(): number
  /** Bytes that reached the relay and wait for their delivery time, both ways. */
  queuedBytes(): number
  close(): Promise<void>
}
export function createRelay(targetPort: number, options: LinkOptions): Promise<Relay>
export function startRelayProcess(
  targetPorts: number[],
  options: LinkOptions,
  hooks?: { pin?: (pid: number) => void },
): Promise<{ pid: number; ports: number[]; stop(): Promise<void> }>
