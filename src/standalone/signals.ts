/** Graceful shutdown on SIGTERM/SIGINT, the same on Node, Bun and Deno. */
import type { Logger } from '../log.ts'

/** What {@link stopOnSignals} needs from a runtime. */
export interface SignalHooks {
  /** Subscribes to SIGTERM and SIGINT; may return an unsubscribe function. */
  on(listener: (signal: string) => void): void | (() => void)
  /** Stops listening and resolves once in-flight requests are done or the bound has passed. */
  stop(): Promise<void>
  /** Ends the process. */
  exit(code: number): void
  /** How many requests are in flight, for the "shutting down" notice, where the server counts them. */
  inFlight?(): number
}

/**
 * The first SIGTERM/SIGINT stops the server (which lets in-flight requests finish up to its
 * bound), logs "stopped" and exits 0; a second signal exits 1 at once. Returns the
 * unsubscribe function of `hooks.on`, if any.
 *
 * @example
 * stopOnSignals({ on, stop: boundedStop(() => server.stop(), 10_000), exit: process.exit }, logger)
 */
export function stopOnSignals(hooks: SignalHooks, logger?: Logger): void | (() => void) {
  let stopping = false
  return hooks.on((signal) => {
    if (stopping) {
      logger?.info('second signal, exiting now', { signal })
      return hooks.exit(1)
    }
    stopping = true
    const inFlight = hooks.inFlight?.()
    logger?.info('shutting down, finishing in-flight requests', inFlight === undefined ? { signal } : { signal, inFlight })
    void hooks.stop().then(() => {
      logger?.info('stopped')
      hooks.exit(0)
    })
  })
}

/**
 * A stop that waits for `drain` at most `timeoutMs`, then calls `closeAll` (close whatever is
 * still open) and resolves.
 *
 * @example
 * const stop = boundedStop(() => server.stop(), 10_000, () => server.stop(true))
 */
export function boundedStop(drain: () => Promise<void>, timeoutMs: number, closeAll?: () => void): () => Promise<void> {
  return () => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        closeAll?.()
        resolve()
      }, timeoutMs)
    })
    return Promise.race([drain().catch(() => {}), bound]).then(() => clearTimeout(timer))
  }
}
