/**
 * `--workers N` / `CLERK_PROXY_WORKERS`: several Node processes serving one port through
 * `node:cluster`. The primary only supervises: it forks the workers, prints one start-up line
 * once all of them listen, restarts a worker that dies, serves the metrics listener (the sum of
 * every worker's figures), and on SIGTERM/SIGINT tells each worker to drain, then exits.
 *
 * Workers ignore SIGTERM/SIGINT themselves: a terminal's Ctrl-C reaches the whole process
 * group, and the primary's message is the one signal they act on (or the primary going away).
 */
import cluster, { type Worker } from 'node:cluster'
import type { OperationsConfig } from '../config.ts'
import { mergeSnapshots, renderExposition, type FamilySnapshot } from '../metrics/registry.ts'
import type { Logger } from '../log.ts'
import { startMetricsListener, type MetricsListener } from './metrics-listener.ts'
import { metricsOf, type RunningServer } from './server.ts'

/** Messages between the primary and its workers. */
type WorkerMessage =
  | { readonly type: 'clerk-proxy:listening'; readonly url: string }
  | { readonly type: 'clerk-proxy:shutdown' }
  | { readonly type: 'clerk-proxy:metrics'; readonly id: number; readonly snapshot?: FamilySnapshot[] }

/** How long the primary waits for a worker's figures at scrape time (Prometheus waits 10 s). */
const SNAPSHOT_TIMEOUT_MS = 5_000

/**
 * Runs the cluster's primary: forks `operations.workers` copies of this program (same
 * arguments), calls `announce` with the URLs once every worker listens, and resolves with the
 * exit code when the cluster has stopped (or could not start).
 *
 * @example
 * if (cluster.isPrimary && operations.workers > 1) process.exitCode = await runPrimary(operations, logger, announce)
 */
export function runPrimary(operations: OperationsConfig, logger: Logger, announce: (url: string, metricsUrl: string | undefined) => void): Promise<number> {
  return new Promise<number>((resolve) => {
    const workers = new Set<Worker>()
    let stopping = false
    let started = false
    let metricsListener: MetricsListener | undefined
    const listening = new Set<Worker>()

    const stop = (code: number): void => {
      void (metricsListener?.close() ?? Promise.resolve()).then(() => resolve(code))
    }
    const fork = (): void => {
      const worker = cluster.fork()
      workers.add(worker)
      worker.on('message', (message: WorkerMessage) => {
        if (message.type !== 'clerk-proxy:listening') return
        // A worker still starting when the signal came missed the shutdown message.
        if (stopping) return void worker.send({ type: 'clerk-proxy:shutdown' } satisfies WorkerMessage)
        if (started) return
        listening.add(worker)
        if (listening.size === operations.workers) {
          started = true
          void onAllListening(message.url)
        }
      })
      worker.once('exit', (code, signal) => {
        workers.delete(worker)
        if (stopping) {
          if (workers.size === 0) {
            logger.info('stopped')
            stop(0)
          }
          return
        }
        if (!started) {
          // A worker that cannot start (the port is taken): the others cannot either.
          stopping = true
          for (const other of workers) other.kill('SIGKILL')
          if (workers.size === 0) stop(code ?? 1)
          return
        }
        logger.error('worker exited, starting another', { pid: worker.process.pid ?? 0, code: code ?? -1, signal: signal ?? '' })
        fork()
      })
    }
    const onAllListening = async (url: string): Promise<void> => {
      if (operations.metrics) {
        try {
          metricsListener = await startMetricsListener(operations.metrics, async () => renderExposition(mergeSnapshots(await workerSnapshots(workers))))
        } catch (error) {
          logger.error('cannot start the metrics listener', { reason: (error as Error).message })
          onSignal('SIGTERM')
          return
        }
      }
      announce(url, metricsListener?.url)
    }
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.info('second signal, exiting now', { signal })
        for (const worker of workers) worker.kill('SIGKILL')
        return stop(1)
      }
      stopping = true
      logger.info('shutting down, finishing in-flight requests', { signal, workers: workers.size })
      for (const worker of workers) worker.send({ type: 'clerk-proxy:shutdown' } satisfies WorkerMessage)
      if (workers.size === 0) stop(0)
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    for (let i = 0; i < operations.workers; i++) fork()
  })
}

let nextSnapshotId = 0

/** Asks every worker for its figures; a worker that does not answer in time is left out. */
function workerSnapshots(workers: ReadonlySet<Worker>): Promise<FamilySnapshot[][]> {
  const id = ++nextSnapshotId
  return Promise.all(
    [...workers].map(
      (worker) =>
        new Promise<FamilySnapshot[]>((resolve) => {
          const done = (snapshot: FamilySnapshot[]): void => {
            clearTimeout(timer)
            worker.off('message', onMessage)
            resolve(snapshot)
          }
          const onMessage = (message: WorkerMessage): void => {
            if (message.type === 'clerk-proxy:metrics' && message.id === id) done(message.snapshot ?? [])
          }
          const timer = setTimeout(() => done([]), SNAPSHOT_TIMEOUT_MS)
          worker.on('message', onMessage)
          if (!worker.isConnected()) return done([])
          worker.send({ type: 'clerk-proxy:metrics', id } satisfies WorkerMessage)
        }),
    ),
  )
}

/**
 * Runs inside a worker once its server listens: tells the primary, answers its requests for
 * figures, and drains on its shutdown message (or when the primary goes away).
 *
 * @example
 * if (cluster.isWorker) serveAsWorker(await serve({ handleSignals: false }), logger)
 */
export function serveAsWorker(running: RunningServer): void {
  const ignore = (): void => {}
  process.on('SIGTERM', ignore)
  process.on('SIGINT', ignore)
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    void running.shutdown().then(() => process.exit(0))
  }
  process.on('message', (message: WorkerMessage) => {
    if (message.type === 'clerk-proxy:shutdown') stop()
    else if (message.type === 'clerk-proxy:metrics') {
      process.send?.({ type: 'clerk-proxy:metrics', id: message.id, snapshot: metricsOf(running)?.registry.snapshot() } satisfies WorkerMessage)
    }
  })
  process.once('disconnect', stop)
  process.send?.({ type: 'clerk-proxy:listening', url: running.url } satisfies WorkerMessage)
}
