/**
 * The servers the reliability suites run against. Each suite takes a {@link ProxyTarget}: a
 * name and a way to start a proxy with a given environment that hands back its base URL.
 * To run the suites against another standalone server (Bun, Deno), add a target here that
 * spawns it (see {@link childProcessTarget}; set `socketLevel` if it answers parser-level
 * errors in Clerk's shape) and list it in the target lists at the bottom.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { serve as honoServe } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { serve } from '../../adapters/node.ts'
import { clerkProxy } from '../../src/mod.ts'
import type { FapiStandIn, RecordedRequest } from '../support/fapi-stand-in.ts'

/** A proxy started for a test. */
export interface ProxyUnderTest {
  /** `http://127.0.0.1:port` */
  readonly url: string
  /** The process serving it (the test process itself for in-process targets). */
  readonly pid: number
  /** Everything the server wrote to stdout and stderr so far (child processes only). */
  output(): string
  /** Stops it (SIGKILL for a child that does not exit on SIGTERM within 5 s). */
  stop(): Promise<void>
  /** The child process, when there is one. */
  readonly child?: ChildProcess
}

/** How the path of a request target reaches the proxy and Clerk on one runtime. */
export interface RuntimeRules {
  /**
   * The path the proxy's handler sees for a raw request target and `Host`. Node resolves it as
   * WHATWG URL does (dot segments, `\\` as `/`, non-ASCII escaped); so does Bun (reading the
   * bytes as UTF-8), unless the `Host` is not a valid authority, when it hands the path over
   * as sent; Deno always hands it over as sent.
   */
  readonly handlerPath?: (rawTarget: string, host: string) => string
  /**
   * The path Clerk receives for the path after the prefix. Node keeps it as is; Bun's fetch
   * collapses repeated slashes; Deno's fetch resolves it as WHATWG URL does (so `/..` after
   * the prefix becomes `/` on the FAPI host, never another host).
   */
  readonly upstreamPath?: (pathAfterPrefix: string) => string
  /** Status for an unparseable `Host` (`a b\\c`): 400 on Node; Bun's URL makes it fail the prefix (404); Deno ignores Host for routing (200, to the FAPI host). */
  readonly unparseableHostStatus?: 400 | 404 | 200
  /**
   * Whether the server itself closes the connection after a refused WebSocket upgrade or a 413.
   * Deno's server decides that, not the handler: it keeps the connection open until the client
   * closes it (after a 413 it does say `connection: close`); the client gets the whole framed
   * answer either way.
   */
  readonly closesAfterRefusal?: boolean
  /**
   * Whether a proxied response keeps Clerk's `Content-Length` (so a body cut short shows as
   * fewer bytes than announced). Bun sends every streamed body chunked: a cut-short body shows
   * as a chunked body with no terminating chunk.
   */
  readonly keepsContentLength?: boolean
  /** Whether compressed upstream bodies reach the client decoded (Deno's fetch always decodes). */
  readonly decodesCompressedBodies?: boolean
  /**
   * Upstream answers the runtime may leave neither read nor cancelled after their clients left
   * (0 on Node and Bun): the only tolerance a leak check allows. Deno, now and then, neither
   * cancels a response body it stopped sending nor aborts the request's signal, so the answer
   * stays parked: Clerk's edge (the stand-in, after `STALLED_WRITE_MS`) cuts a stalled one, an
   * answer sent whole sits unread; Deno keeps the connection's descriptor, bytes unread in its
   * receive queue. Seen 0 to 3 times among the 200 streamed answers of 300 clients leaving, on
   * a loaded 2-core machine. It counts requests (the stand-in's record) and the connections
   * parked on them: a proxy that does not pass a client's departure on leaves nearly every
   * answer so (94 to 200 of 200); an idle connection that carried a request, or a client
   * connection, left open fails too.
   */
  readonly uncancelledBodies?: number
  /**
   * Whether the runtime's fetch pool may hold upstream connections that never carried a
   * request. Deno's (hyper's) pool connects ahead for requests waiting for a connection; when
   * their clients leave before the request is sent, the new connection goes idle into the pool
   * (its idle timeout is 90 s) without a request ever reaching Clerk: 0 to 14 of them after 300
   * clients left, on a loaded 2-core machine. Only such connections, the stand-in having seen
   * no request on them, are not counted as the proxy's.
   */
  readonly sparePoolConnections?: boolean
  /**
   * What a client dripping its request head gets: Node answers 408 at CLERK_PROXY_HEADERS_TIMEOUT.
   * Bun and Deno have no head timeout (the head never reaches the proxy); there a slow head
   * holds only its own connection (Bun drops it after 100 header lines), and the server
   * goes on answering everyone else.
   */
  readonly slowHead?: 'timeout-408' | 'no-timeout'
  /** Whether CLERK_PROXY_REQUEST_TIMEOUT cuts off a slow body (Node). Elsewhere the upstream timeout does, between body chunks. */
  readonly requestTimeout?: boolean
}

/** The WHATWG pathname of a raw request target (what `new URL()` makes of it). */
export const whatwgPath = (rawTarget: string): string =>
  /^https?:\/\//.test(rawTarget) ? new URL(rawTarget).pathname : new URL(`http://h${rawTarget.startsWith('/') ? '' : '/'}${rawTarget}`).pathname

/** The path of a raw request target as sent: no resolution, no escaping. */
export const rawPath = (rawTarget: string): string => rawTarget.replace(/^https?:\/\/[^/?]*/, '').split('?')[0] || '/'

function validAuthority(host: string): boolean {
  try {
    return new URL(`http://${host}/`).host !== ''
  } catch {
    return false
  }
}

/** A way to start a proxy from an environment (CLERK_SECRET_KEY, CLERK_FAPI_URL, …). */
export interface ProxyTarget {
  readonly name: string
  /**
   * True when the server answers what never reaches the proxy's handler in Clerk's error shape
   * (oversized heads 414/431, CONNECT 405, parser errors) and honours `Expect: 100-continue`
   * against the body limit, as the Node server does. Tests of those run only on such targets.
   */
  readonly socketLevel?: boolean
  /** Where this runtime legitimately differs from Node; unset fields mean "as Node". */
  readonly rules?: RuntimeRules
  /**
   * True when the server sends Clerk its start-up probe (`HEAD /v1/environment`) once it
   * listens (Node and Deno standalone servers): a suite that counts what reaches Clerk waits
   * for it ({@link startupProbes}) before counting.
   */
  readonly probesAtStart?: boolean
  start(env: Readonly<Record<string, string>>): Promise<ProxyUnderTest>
}

export const ROOT: string = fileURLToPath(new URL('../../', import.meta.url))

/** The Node adapter's `serve()` inside the test process: fast, and its errors show in the test. */
export const nodeInProcess: ProxyTarget = {
  name: 'node serve()',
  socketLevel: true,
  probesAtStart: true,
  async start(env) {
    const running = await serve({ env: { ...env }, port: 0, host: '127.0.0.1', log: 'off', handleSignals: false })
    return {
      url: `http://127.0.0.1:${running.port}`,
      pid: process.pid,
      output: () => '',
      stop: () => running.shutdown(1_000),
    }
  },
}

/**
 * The runtime-agnostic core on its fetch path (`clerkProxy().fetch` with the default `fetch`
 * transport), served by a plain `@hono/node-server`: the code Bun, Deno and the edge adapters
 * run, over real HTTP. It has none of the Node server's socket-level handling (414/431 in
 * Clerk's shape, CONNECT, 100-continue, timeouts), so only suites about the proxy's own
 * behaviour use it.
 */
export const fetchPathOnNode: ProxyTarget = {
  name: 'core fetch path',
  async start(env) {
    const app = clerkProxy({ env: { ...env }, peerAddress: (c) => (c.env as { incoming: { socket: { remoteAddress?: string } } }).incoming.socket.remoteAddress })
    const server = await new Promise<ReturnType<typeof honoServe>>((resolve) => {
      const s = honoServe({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      pid: process.pid,
      output: () => '',
      stop: () =>
        new Promise<void>((resolve) => {
          ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
          server.close(() => resolve())
        }),
    }
  },
}

/**
 * Spawns a server process with `PORT=0` (and `HOST=127.0.0.1`), so the OS picks a port no
 * other process can take in between, and reads the port it listens on from /proc (whatever,
 * if anything, the server logs). The process gets only `env` plus PATH, so nothing from the
 * test environment leaks in.
 */
export function childProcessTarget(name: string, command: string, args: readonly string[]): ProxyTarget {
  return {
    name,
    async start(env) {
      const child = spawn(command, args, {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', ...env, PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      return new Promise((resolve, reject) => {
        let started = false
        // Generous: a cold Deno or Bun start on a loaded 2-core machine takes seconds.
        const timer = setTimeout(() => {
          child.kill('SIGKILL')
          reject(new Error(`${name} did not start within 60 s:\n${output}`))
        }, 60_000)
        const onData = (chunk: Buffer): void => void (output += chunk.toString('utf8'))
        const poll = (): void => {
          if (started || child.exitCode !== null || child.signalCode !== null) return
          const port = child.pid === undefined ? undefined : listeningPorts(child.pid)[0]
          if (port === undefined) return void setTimeout(poll, 50)
          started = true
          clearTimeout(timer)
          resolve({
            url: `http://127.0.0.1:${port}`,
            pid: child.pid!,
            child,
            output: () => output,
            async stop() {
              if (child.exitCode !== null || child.signalCode !== null) return
              child.kill('SIGTERM')
              const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
              await exited
              clearTimeout(killer)
            },
          })
        }
        setTimeout(poll, 50)
        child.stdout!.on('data', onData)
        child.stderr!.on('data', onData)
        child.once('exit', (code) => {
          clearTimeout(timer)
          if (!started) reject(new Error(`${name} exited with ${code} before listening:\n${output}`))
        })
      })
    },
  }
}

/** `node bin/clerk-proxy.js`: the CLI as users run it (needs `npm run build` first). */
export const nodeCli: ProxyTarget = { ...childProcessTarget('node bin/clerk-proxy.js', process.execPath, ['bin/clerk-proxy.js']), socketLevel: true, probesAtStart: true }

/** `bun run adapters/bun.ts`: the Bun standalone server. */
const bunChild = childProcessTarget('bun adapters/bun.ts', `${ROOT}node_modules/.bin/bun`, ['run', 'adapters/bun.ts'])
export const bunServer: ProxyTarget = {
  ...bunChild,
  rules: {
    // Bun reads the target as UTF-8: a byte that is not (é sent as Latin-1) becomes U+FFFD.
    handlerPath: (target, host) => {
      const utf8 = target.replace(/[\u0080-\uffff]/g, '\uFFFD')
      return validAuthority(host) ? whatwgPath(utf8) : rawPath(utf8)
    },
    upstreamPath: (path) => whatwgPath(path).replace(/^\/{2,}/, '/').replaceAll('^', '%5E'),
    unparseableHostStatus: 404,
    keepsContentLength: false,
    slowHead: 'no-timeout',
    requestTimeout: false,
  },
}

/** `deno run adapters/deno.ts`: the Deno standalone server. */
const denoChild = childProcessTarget('deno adapters/deno.ts', `${ROOT}node_modules/.bin/deno`, ['run', '--allow-net', '--allow-env', 'adapters/deno.ts'])
export const denoServer: ProxyTarget = {
  name: denoChild.name,
  probesAtStart: true,
  rules: {
    handlerPath: rawPath,
    // Deno's fetch (Rust's url crate) also drops a trailing `/.` that WHATWG keeps after a
    // segment like `.:`; still a path on the FAPI host.
    upstreamPath: (path) => removeDotSegments(whatwgPath(path)),
    unparseableHostStatus: 200,
    closesAfterRefusal: false,
    decodesCompressedBodies: true,
    uncancelledBodies: 5,
    sparePoolConnections: true,
    slowHead: 'no-timeout',
    requestTimeout: false,
  },
  start: (env) => denoChild.start({ DENO_DIR: `${ROOT}.deno`, NO_COLOR: '1', ...env }),
}

/** Targets the hostile-input suite runs against (socket-level cases only where `socketLevel`). */
export const HOSTILE_INPUT_TARGETS: readonly ProxyTarget[] = [nodeInProcess, fetchPathOnNode, bunServer, denoServer]

/** Targets the upstream-fault suite runs against. */
export const UPSTREAM_FAULT_TARGETS: readonly ProxyTarget[] = [nodeInProcess, fetchPathOnNode, bunServer, denoServer]

/** Targets for suites that need a separate process (signals, fd and RSS counts, logs). */
export const PROCESS_TARGETS: readonly ProxyTarget[] = [nodeCli, bunServer, denoServer]

/**
 * Targets of the soak: the CLI in `npm test` (its short form); Bun and Deno too in the long
 * form (`npm run soak`, which sets SOAK_STRICT), to keep `npm test` short.
 */
export const SOAK_TARGETS: readonly ProxyTarget[] = process.env['SOAK_STRICT'] ? [nodeCli, bunServer, denoServer] : [nodeCli]

/** One TCP socket a process holds a descriptor for. */
export interface TcpConnection {
  readonly inode: string
  readonly localPort: number
  readonly remotePort: number
  /** The kernel's state name (ESTABLISHED, CLOSE_WAIT, …). */
  readonly state: string
  /** Bytes received that the process has not read yet. */
  readonly unreadBytes: number
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING',
}

/**
 * The TCP connections (listening sockets excluded) a process holds open, read from Linux /proc:
 * the `socket:[inode]` links in `/proc/PID/fd` matched against `/proc/PID/net/tcp` and `tcp6`.
 * Only descriptors count, so a connection the process closed (TIME_WAIT) is not one it holds.
 */
export function tcpConnections(pid: number): TcpConnection[] {
  return tcpSockets(pid).filter((socket) => socket.state !== 'LISTEN')
}

/** The ports a process listens on (TCP, Linux /proc). */
export function listeningPorts(pid: number): number[] {
  return tcpSockets(pid)
    .filter((socket) => socket.state === 'LISTEN')
    .map((socket) => socket.localPort)
}

/** Every TCP socket a process holds a descriptor for, listening ones included. */
function tcpSockets(pid: number): TcpConnection[] {
  const byInode = new Map<string, TcpConnection>()
  for (const file of ['tcp', 'tcp6']) {
    let table = ''
    try {
      table = readFileSync(`/proc/${pid}/net/${file}`, 'utf8')
    } catch {
      continue
    }
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 10) continue
      const port = (address: string): number => parseInt(address.split(':').at(-1)!, 16)
      const unreadBytes = parseInt(f[4]!.split(':')[1]!, 16)
      byInode.set(f[9]!, { inode: f[9]!, localPort: port(f[1]!), remotePort: port(f[2]!), state: TCP_STATES[f[3]!] ?? f[3]!, unreadBytes })
    }
  }
  const held: TcpConnection[] = []
  let fds: string[] = []
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {} // the process is gone
  for (const fd of fds) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]
      const connection = inode === undefined ? undefined : byInode.get(inode)
      if (connection) held.push(connection)
    } catch {} // closed between the listing and the readlink
  }
  return held
}

/** A proxy's open TCP connections to its clients and to the FAPI stand-in. */
export interface ProxyConnections {
  /** Connections accepted on the proxy's port. */
  readonly clients: readonly TcpConnection[]
  /** Connections to the FAPI stand-in's port. */
  readonly upstream: readonly TcpConnection[]
}

/**
 * What a leak check counts: the proxy process's TCP connections from clients (on its own port)
 * and to Clerk (the stand-in's port). Files, pipes, eventfds and sockets a runtime opens for
 * itself (Deno's cache database, Bun's threads) are not the proxy's and are not counted.
 */
export function proxyConnections(proxy: ProxyUnderTest, upstreamPort: number): ProxyConnections {
  const proxyPort = Number(new URL(proxy.url).port)
  const all = tcpConnections(proxy.pid)
  return {
    clients: all.filter((c) => c.localPort === proxyPort),
    upstream: all.filter((c) => c.remotePort === upstreamPort),
  }
}

/** What the proxy left behind once its clients are gone, as a leak check counts it. */
export interface LeftBehind {
  /** Client connections still open. */
  readonly clients: readonly TcpConnection[]
  /** Upstream requests Clerk is still answering (neither completed, nor aborted, nor cut off by the stand-in). */
  readonly openRequests: readonly RecordedRequest[]
  /** Upstream answers the proxy neither read nor cancelled, which the stand-in cut off as stalled. */
  readonly cutOffRequests: readonly RecordedRequest[]
  /** Upstream connections held that carried a request (spare pool connections excluded where the runtime has them). */
  readonly heldUpstream: readonly TcpConnection[]
}

/**
 * What is left of the proxy's traffic: its connections (see {@link proxyConnections}) against
 * the stand-in's record of every request it got.
 */
export function leftBehind(connections: ProxyConnections, rules: RuntimeRules, upstream: Pick<FapiStandIn, 'portsWithoutRequest' | 'requests'>): LeftBehind {
  const spare = new Set(rules.sparePoolConnections ? upstream.portsWithoutRequest() : [])
  // An unfinished request counts while the proxy still holds its connection. Once the proxy
  // has closed its end the request is given up, even if the stand-in, holding an answer back,
  // has not noticed yet (a FIN alone does not end a Node server's pending response).
  const held = new Set(connections.upstream.map((c) => c.localPort))
  return {
    clients: connections.clients,
    openRequests: upstream.requests.filter((r) => !r.completed && !r.aborted && !r.cutOff && r.remotePort !== undefined && held.has(r.remotePort)),
    cutOffRequests: upstream.requests.filter((r) => r.cutOff),
    heldUpstream: connections.upstream.filter((c) => !spare.has(c.localPort)),
  }
}

/**
 * Whether nothing is left but what a runtime's rules allow: no client connection, no upstream
 * request still running, and at most `uncancelledBodies` answers the proxy neither read nor
 * cancelled, with no more upstream connections held, each parked on bytes never read.
 */
export function onlyAllowedStrays(left: LeftBehind, rules: RuntimeRules): boolean {
  const allowed = rules.uncancelledBodies ?? 0
  return (
    left.clients.length === 0 &&
    left.openRequests.length === 0 &&
    left.cutOffRequests.length <= allowed &&
    left.heldUpstream.length <= allowed &&
    left.heldUpstream.every((c) => c.unreadBytes > 0)
  )
}

/** A failure message: what is left, each upstream connection with the requests it carried. */
export function describeLeftBehind(left: LeftBehind, upstream: Pick<FapiStandIn, 'requests'>): string {
  const requests = (list: readonly RecordedRequest[]): string => `${list.length} ${list.slice(0, 5).map((r) => r.url).join(' ')}`
  const carried = left.heldUpstream.slice(0, 10).map((c) => {
    const states = upstream.requests.filter((r) => r.remotePort === c.localPort).map((r) => `${r.url} ${r.completed ? 'completed' : r.aborted ? 'aborted' : r.cutOff ? 'cut off' : 'open'}`)
    return `${c.localPort} ${c.state}, ${c.unreadBytes} bytes unread: ${states.join(', ') || 'no request'}`
  })
  return [
    `client connections: ${describeConnections(left.clients)}`,
    `upstream requests still open: ${requests(left.openRequests)}`,
    `answers cut off by the stand-in (neither read nor cancelled): ${requests(left.cutOffRequests)}`,
    `upstream connections held: ${left.heldUpstream.length}${carried.length ? `: ${carried.join('; ')}` : ''}`,
  ].join('\n')
}

/** How many connections, and the ports and state of the first ten, for a failure message. */
export function describeConnections(connections: readonly TcpConnection[]): string {
  const shown = connections.slice(0, 10).map((c) => `${c.localPort}->${c.remotePort} ${c.state} (${c.unreadBytes} bytes unread)`)
  if (connections.length > shown.length) shown.push(`and ${connections.length - shown.length} more`)
  return `${connections.length}: ${shown.join(', ')}`
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

/**
 * Polls until `check()` is true or `timeoutMs` passes; returns the last value seen. The bound
 * is generous on purpose: on a loaded 2-core machine an abort can take seconds to propagate,
 * and a check that passes returns at once.
 */
export async function eventually<T>(read: () => T, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = read()
  while (!check(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
    value = read()
  }
  return value
}

/**
 * Waits until `servers` start-up probes (`HEAD /v1/environment`) have reached the stand-in,
 * when `target` sends them, so that counting what reaches Clerk counts only the test's own.
 */
export async function startupProbes(target: ProxyTarget, upstream: Pick<FapiStandIn, 'requests'>, servers = 1): Promise<void> {
  if (!target.probesAtStart) return
  const probes = (): number => upstream.requests.filter((r) => r.method === 'HEAD' && r.url === '/v1/environment').length
  const seen = await eventually(probes, (count) => count >= servers)
  if (seen < servers) throw new Error(`${target.name}: ${seen} of ${servers} start-up probes reached the stand-in`)
}

/** A Clerk-looking secret key unique to one test run. */
export function testSecret(): string {
  return `sk_test_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
}

/** RFC 3986 §5.2.4 remove_dot_segments, for runtimes whose URL parser removes more than WHATWG's. */
function removeDotSegments(path: string): string {
  const out: string[] = []
  const segments = path.split('/')
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!
    const last = i === segments.length - 1
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop()
      if (last) out.push('')
      continue
    }
    out.push(segment)
  }
  return '/' + out.join('/')
}
