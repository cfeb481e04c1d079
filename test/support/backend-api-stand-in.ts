/**
 * A local server standing in for Clerk's Backend API: the domains list, the proxy check and
 * the domain update `clerk-proxy enable/disable` use. It records every request and, like
 * Clerk, runs the proxy check for real by calling `<proxy_url>/v1/proxy-health`.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A domain as the stand-in stores it. */
export interface StandInDomain {
  id: string
  name: string
  is_satellite: boolean
  frontend_api_url: string
  proxy_url: string | null
}

/** One request as the stand-in received it. */
export interface BackendApiRequest {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly body: unknown
}

/** A running Backend API stand-in. */
export interface BackendApiStandIn {
  readonly url: string
  readonly requests: BackendApiRequest[]
  /** The instance's domains; PATCH changes them in place. */
  readonly domains: StandInDomain[]
  /**
   * Handlers run before the built-in routes; return true when handled. Used to answer with
   * Clerk's errors.
   */
  readonly routes: ((req: IncomingMessage, res: ServerResponse, record: BackendApiRequest) => boolean)[]
  close(): Promise<void>
}

/** Options for {@link startBackendApiStandIn}. */
export interface BackendApiStandInOptions {
  /** The only secret key accepted as `Authorization: Bearer …`. */
  readonly secretKey: string
  readonly domains: readonly Omit<StandInDomain, 'frontend_api_url' | 'is_satellite' | 'proxy_url'>[] & readonly Partial<StandInDomain>[]
}

/**
 * Sends Clerk's error shape.
 *
 * @example
 * clerkError(res, 422, 'form_param_format_invalid', 'is invalid', 'proxy_url must be https')
 */
export function clerkError(res: ServerResponse, status: number, code: string, message: string, longMessage: string): void {
  const text = JSON.stringify({ errors: [{ code, message, long_message: longMessage, meta: {} }], clerk_trace_id: 'trace_standin' })
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** GETs `<proxyUrl>/v1/proxy-health?domain_id=…` the way Clerk's proxy check does; true when healthy. */
function proxyHealthy(proxyUrl: string, domainId: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(`${proxyUrl.replace(/\/+$/, '')}/v1/proxy-health?domain_id=${encodeURIComponent(domainId)}`, { agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status?: string }).status === 'healthy')
        } catch {
          resolve(false)
        }
      })
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => req.destroy())
    req.end()
  })
}

/**
 * Starts the stand-in on 127.0.0.1 with a free port.
 *
 * @example
 * const api = await startBackendApiStandIn({ secretKey: 'sk_live_x', domains: [{ id: 'dmn_1', name: 'example.com' }] })
 */
export async function startBackendApiStandIn(options: BackendApiStandInOptions): Promise<BackendApiStandIn> {
  const requests: BackendApiRequest[] = []
  const routes: BackendApiStandIn['routes'] = []
  const sockets = new Set<Socket>()
  const domains: StandInDomain[] = options.domains.map((d) => ({
    is_satellite: false,
    frontend_api_url: `https://clerk.${d.name}`,
    proxy_url: null,
    ...d,
  }))

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let body: unknown
      try {
        body = text === '' ? undefined : JSON.parse(text)
      } catch {
        body = text
      }
      const path = new URL(req.url ?? '/', 'http://stand-in').pathname
      const record: BackendApiRequest = { method: req.method ?? '', path, authorization: req.headers.authorization, body }
      requests.push(record)
      for (const route of routes) if (route(req, res, record)) return
      void handle(req, res, record)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle(req: IncomingMessage, res: ServerResponse, record: BackendApiRequest): Promise<void> {
    if (record.authorization !== `Bearer ${options.secretKey}`) {
      return clerkError(res, 401, 'authentication_invalid', 'Invalid authentication', 'Unable to authenticate the request, you need to supply an active API key')
    }
    const body = (record.body ?? {}) as { domain_id?: string; proxy_url?: string | null }
    if (req.method === 'GET' && record.path === '/v1/domains') return json(res, 200, { data: domains.map((d) => ({ object: 'domain', ...d })), total_count: domains.length })
    if (req.method === 'POST' && record.path === '/v1/proxy_checks') {
      if (!body.domain_id) return clerkError(res, 422, 'form_param_missing', 'domain_id is missing', 'domain_id must be included.')
      if (!body.proxy_url) return clerkError(res, 422, 'form_param_missing', 'proxy_url is missing', 'proxy_url must be included.')
      if (!domains.some((d) => d.id === body.domain_id)) return clerkError(res, 404, 'resource_not_found', 'not found', `No domain with id ${body.domain_id}`)
      const successful = await proxyHealthy(body.proxy_url, body.domain_id)
      const now = Date.now()
      return json(res, 200, { object: 'proxy_check', id: 'proxychk_standin', domain_id: body.domain_id, proxy_url: body.proxy_url, successful, last_run_at: now, created_at: now, updated_at: now })
    }
    const patch = /^\/v1\/domains\/([^/]+)$/.exec(record.path)
    if (req.method === 'PATCH' && patch) {
      const domain = domains.find((d) => d.id === decodeURIComponent(patch[1]!))
      if (!domain) return clerkError(res, 404, 'resource_not_found', 'not found', `No domain with id ${patch[1]}`)
      if (body.proxy_url !== undefined) domain.proxy_url = body.proxy_url || null
      return json(res, 200, { object: 'domain', ...domain })
    }
    clerkError(res, 404, 'resource_not_found', 'not found', `no route ${req.method} ${record.path}`)
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    domains,
    routes,
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
