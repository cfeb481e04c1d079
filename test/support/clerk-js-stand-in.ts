/**
 * A Frontend API stand-in good enough for the real `@clerk/clerk-js` browser bundle: it serves
 * the bundle and its chunk files from node_modules, answers environment and client, signs a
 * user in with a password or through an OAuth-style round trip (via a separate provider
 * stand-in), issues session tokens (decodable JWTs), signs out, and bounces the browser through
 * the handshake. Built on {@link startFapiStandIn} through its `routes` array, so every request
 * is recorded there; each answer is noted here too (status, `Location`, `Set-Cookie`).
 *
 * What clerk-js 6.40 sends and expects was read from its bundle (`dist/clerk.browser.js`):
 * only GET and POST on the wire (other verbs as `?_method=`), form bodies, `credentials:
 * 'include'`, `{ response, client }` envelopes, and chunk files loaded from the folder the
 * bundle itself was loaded from. Used headless, clerk-js 6 loads no `@clerk/ui` bundle: that
 * is only fetched when an app mounts Clerk's prebuilt components.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { startFapiStandIn, type FapiStandIn, type RecordedRequest } from './fapi-stand-in.ts'

/** The demo user the stand-in knows. */
export const DEMO_USER = {
  id: 'user_demo',
  email: 'ada@example.com',
  password: 'correct horse battery staple',
  firstName: 'Ada',
  lastName: 'Lovelace',
} as const

/** The Frontend API host the demo publishable key names (never contacted: the proxy is). */
export const DEMO_FAPI_HOST = 'clerk.demo.example'

/** A production (`pk_live_`) publishable key for {@link DEMO_FAPI_HOST}. */
export const DEMO_PUBLISHABLE_KEY: string = `pk_live_${Buffer.from(`${DEMO_FAPI_HOST}$`).toString('base64')}`

/** A fake secret key; the stand-in only checks that the proxy sent it. */
export const DEMO_SECRET_KEY = 'sk_live_stand_in_secret_0123456789abcdef'

const require = createRequire(import.meta.url)
/** The installed `@clerk/clerk-js/dist` folder (`require` resolves the main, `dist/clerk.js`). */
export const CLERK_JS_DIST: string = dirname(require.resolve('@clerk/clerk-js'))

/** The installed `@clerk/clerk-js` version, e.g. `6.40.0`. */
export const CLERK_JS_VERSION: string = (JSON.parse(readFileSync(join(CLERK_JS_DIST, '..', 'package.json'), 'utf8')) as { version: string }).version

/** What the stand-in answered to one recorded request. */
export interface Answer {
  readonly request: RecordedRequest
  status: number
  location: string | undefined
  setCookies: string[]
  /** `Content-Encoding` of the answer, when it was compressed. */
  contentEncoding: string | undefined
}

/** A running clerk-js stand-in with its OAuth provider stand-in. */
export interface ClerkJsStandIn {
  /** The underlying FAPI stand-in (`url`, `requests`, `waitFor`). */
  readonly fapi: FapiStandIn
  /** Every answer, in arrival order (one per recorded request). */
  readonly answers: Answer[]
  /** The "external" OAuth provider: its own origin, its own request record. */
  readonly provider: { readonly url: string; readonly requests: RecordedRequest[] }
  /** Session tokens issued, newest last. */
  readonly issuedTokens: string[]
  close(): Promise<void>
}

interface Session {
  id: string
  status: 'active' | 'removed'
  createdAt: number
  lastActiveAt: number
  lastToken: string
}

interface SignIn {
  id: string
  status: 'needs_first_factor' | 'complete'
  strategy: string
  createdSessionId: string | null
  redirectUrl: string | null
  externalUrl: string | null
}

interface Client {
  id: string
  sessions: Session[]
  signIn: SignIn | null
  lastActiveSessionId: string | null
  createdAt: number
  updatedAt: number
}

const randomId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('base64url')}`
const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const COOKIE_EXPIRES = 'Wed, 21 Oct 2037 07:28:00 GMT'
const JWT_KEY = 'stand-in-signing-key'

/** Signs a short-lived HS256 session JWT the way FAPI shapes its claims. */
function sessionJwt(session: Session, issuer: string, azp: string | undefined, extra: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000)
  const header = base64url({ alg: 'HS256', typ: 'JWT', kid: 'ins_stand_in' })
  const payload = base64url({
    azp,
    exp: now + 60,
    fva: [0, -1],
    iat: now,
    iss: issuer,
    nbf: now - 10,
    sid: session.id,
    sts: 'active',
    sub: DEMO_USER.id,
    v: 2,
    ...extra,
  })
  const signature = createHmac('sha256', JWT_KEY).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

const ENVIRONMENT = {
  object: 'environment',
  id: 'env_stand_in',
  auth_config: { object: 'auth_config', id: 'aac_stand_in', single_session_mode: true, claimed_at: null, reverification: false },
  display_config: {
    object: 'display_config',
    id: 'display_config_stand_in',
    instance_environment_type: 'production',
    application_name: 'FAPI stand-in (local)',
    branded: false,
    home_url: 'http://localhost',
    sign_in_url: 'http://localhost/sign-in',
    sign_up_url: 'http://localhost/sign-up',
    after_sign_in_url: 'http://localhost',
    after_sign_up_url: 'http://localhost',
    after_sign_out_one_url: 'http://localhost',
    after_sign_out_all_url: 'http://localhost',
    logo_image_url: '',
    favicon_image_url: '',
    theme: { general: { color: '#6c47ff' } },
    captcha_public_key: null,
    captcha_provider: null,
  },
  user_settings: {
    attributes: {
      email_address: { enabled: true, required: true, used_for_first_factor: true, first_factors: ['email_code'], verifications: ['email_code'] },
      password: { enabled: true, required: true },
    },
    social: {
      oauth_google: { enabled: true, required: false, authenticatable: true, strategy: 'oauth_google', name: 'Google', logo_url: '' },
      oauth_apple: { enabled: true, required: false, authenticatable: true, strategy: 'oauth_apple', name: 'Apple', logo_url: '' },
    },
    sign_in: { second_factor: { required: false } },
    sign_up: { mode: 'public', captcha_enabled: false, legal_consent_enabled: false },
    password_settings: { min_length: 8, max_length: 72 },
  },
  organization_settings: { enabled: false },
  commerce_settings: {
    billing: { stripe_publishable_key: null, organization: { enabled: false, has_paid_plans: false }, user: { enabled: false, has_paid_plans: false } },
  },
  api_keys_settings: { enabled: false },
  maintenance_mode: false,
  client_debug_mode: false,
}

/**
 * Starts the FAPI stand-in with the clerk-js routes, plus an OAuth provider stand-in on its
 * own port (a different origin, as an external provider is).
 *
 * @example
 * const clerk = await startClerkJsStandIn()
 * // point the proxy at clerk.fapi.url; the page loads
 * //   <proxy>/npm/@clerk/clerk-js@6/dist/clerk.browser.js
 * await clerk.close()
 */
export async function startClerkJsStandIn(): Promise<ClerkJsStandIn> {
  const fapi = await startFapiStandIn()
  const answers: Answer[] = []
  const issuedTokens: string[] = []
  const clients = new Map<string, Client>()
  const signInsByState = new Map<string, { client: Client; signIn: SignIn }>()
  const gzipCache = new Map<string, Buffer>()

  const provider = await startProviderStandIn()

  // Route 1 notes every answer, then lets the next route (or the stand-in's own) handle it.
  fapi.routes.push((req, res, record) => {
    const answer: Answer = { request: record, status: 0, location: undefined, setCookies: [], contentEncoding: undefined }
    answers.push(answer)
    res.on('finish', () => {
      answer.status = res.statusCode
      const location = res.getHeader('location')
      answer.location = location === undefined ? undefined : String(location)
      const cookies = res.getHeader('set-cookie')
      answer.setCookies = cookies === undefined ? [] : Array.isArray(cookies) ? cookies : [String(cookies)]
      const encoding = res.getHeader('content-encoding')
      answer.contentEncoding = encoding === undefined ? undefined : String(encoding)
    })
    return false
  })

  // Route 2: the clerk-js bundle and its chunks, straight from node_modules.
  fapi.routes.push((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname
    const match = /^\/npm\/@clerk\/clerk-js@([^/]+)\/dist\/([A-Za-z0-9_.-]+\.js)$/.exec(path)
    if (!match) return false
    const [, version = '', file = ''] = match
    const file404 = (): void => {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not found')
    }
    // FAPI serves `@6` (major), `@6.40` and `@6.40.0`: accept any prefix of the installed version.
    if (!`${CLERK_JS_VERSION}.`.startsWith(`${version}.`) || !existsSync(join(CLERK_JS_DIST, file))) return file404(), true
    const raw = readFileSync(join(CLERK_JS_DIST, file))
    const headers: Record<string, string | number> = {
      'content-type': 'application/javascript; charset=utf-8',
      'cache-control': 'public, max-age=300',
      vary: 'Accept-Encoding',
      'access-control-allow-origin': '*',
    }
    let body: Buffer = raw
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      body = gzipCache.get(file) ?? gzipSync(raw)
      gzipCache.set(file, body)
      headers['content-encoding'] = 'gzip'
    }
    headers['content-length'] = body.length
    writeHead(res, 200, headers)
    res.end(req.method === 'HEAD' ? undefined : body)
    return true
  })

  // Route 3: the Frontend API itself.
  fapi.routes.push((req, res, record) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    if (!url.pathname.startsWith('/v1/')) return false
    void readForm(req, record).then((form) => answerFapi(req, res, url, form))
    return true
  })

  function corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin
    if (!origin) return {}
    // FAPI answers credentialed requests from the app's origin (checked against the instance).
    return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' }
  }

  function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, cookies: string[] = []): void {
    const text = JSON.stringify(body)
    const headers: Record<string, string | string[] | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...corsHeaders(req),
    }
    if (cookies.length > 0) headers['set-cookie'] = cookies
    writeHead(res, status, headers)
    res.end(text)
  }

  function redirect(req: IncomingMessage, res: ServerResponse, status: number, location: string, cookies: string[] = []): void {
    const headers: Record<string, string | string[]> = { location, 'cache-control': 'no-store', ...corsHeaders(req) }
    if (cookies.length > 0) headers['set-cookie'] = cookies
    writeHead(res, status, headers)
    res.end()
  }

  const error = (code: string, message: string, status: number): [number, unknown] => [
    status,
    { errors: [{ code, message, long_message: message, meta: {} }] },
  ]

  function clientFor(req: IncomingMessage): Client | undefined {
    const id = cookieValue(req.headers.cookie, '__client')
    return id === undefined ? undefined : clients.get(id)
  }

  function newClient(): Client {
    const now = Date.now()
    const client: Client = { id: randomId('client'), sessions: [], signIn: null, lastActiveSessionId: null, createdAt: now, updatedAt: now }
    clients.set(client.id, client)
    return client
  }

  /** The cookies FAPI sets on the proxy's domain for a client (signed in or not). */
  function clientCookies(client: Client): string[] {
    const signedIn = client.sessions.some((s) => s.status === 'active')
    const uat = signedIn ? Math.floor(client.updatedAt / 1000) : 0
    return [
      `__client=${client.id}; Path=/; Expires=${COOKIE_EXPIRES}; HttpOnly; Secure; SameSite=Lax`,
      `__client_uat=${uat}; Path=/; Expires=${COOKIE_EXPIRES}; Secure; SameSite=Lax`,
    ]
  }

  function createSession(client: Client, req: IncomingMessage): Session {
    const now = Date.now()
    const session: Session = { id: randomId('sess'), status: 'active', createdAt: now, lastActiveAt: now, lastToken: '' }
    session.lastToken = issueToken(session, req)
    client.sessions = [session]
    client.lastActiveSessionId = session.id
    client.updatedAt = now
    return session
  }

  function issueToken(session: Session, req: IncomingMessage, extra: Record<string, unknown> = {}): string {
    const jwt = sessionJwt(session, String(req.headers['clerk-proxy-url'] ?? fapi.url), req.headers.origin, extra)
    issuedTokens.push(jwt)
    session.lastToken = jwt
    return jwt
  }

  function answerFapi(req: IncomingMessage, res: ServerResponse, url: URL, form: URLSearchParams): void {
    const path = url.pathname
    const q = url.searchParams
    // clerk-js tunnels PATCH/PUT/DELETE as POST ?_method=
    const method = req.method === 'POST' ? (q.get('_method') ?? 'POST').toUpperCase() : (req.method ?? 'GET')
    const client = clientFor(req)
    const proxyUrl = String(req.headers['clerk-proxy-url'] ?? fapi.url)

    if (method === 'OPTIONS') {
      res.writeHead(204, {
        ...corsHeaders(req),
        'access-control-allow-methods': 'GET, POST, PATCH, PUT, DELETE',
        'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'content-type'),
        'access-control-max-age': '600',
      })
      return void res.end()
    }
    if (path === '/v1/environment') return send(req, res, 200, ENVIRONMENT)
    if (path === '/v1/client' && method === 'GET') {
      return send(req, res, 200, { response: client ? clientJson(client) : null, client: null })
    }
    if (path === '/v1/client' && method === 'DELETE') {
      if (client) clients.delete(client.id)
      return send(req, res, 200, { response: null, client: null }, [
        `__client=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax`,
        `__client_uat=0; Path=/; Expires=${COOKIE_EXPIRES}; Secure; SameSite=Lax`,
      ])
    }
    if (path === '/v1/client/sign_ins' && method === 'POST') return signIn(req, res, client ?? newClient(), form, proxyUrl)

    const sessionPath = /^\/v1\/client\/sessions\/([^/]+)\/(touch|tokens|remove|end)$/.exec(path)
    if (sessionPath && method === 'POST') {
      const [, id, action] = sessionPath
      const session = client?.sessions.find((s) => s.id === id && s.status === 'active')
      if (!client || !session) return send(req, res, ...error('authentication_invalid', 'Unauthenticated', 401))
      if (action === 'tokens') return send(req, res, 200, { object: 'token', jwt: issueToken(session, req) })
      if (action === 'touch') {
        session.lastActiveAt = Date.now()
        return send(req, res, 200, { response: sessionJson(session), client: clientJson(client) })
      }
      session.status = 'removed'
      client.lastActiveSessionId = null
      client.updatedAt = Date.now()
      return send(req, res, 200, { response: sessionJson(session), client: clientJson(client) }, clientCookies(client))
    }
    if (path === '/v1/client/sessions' && method === 'DELETE') {
      if (!client) return send(req, res, ...error('authentication_invalid', 'Unauthenticated', 401))
      for (const session of client.sessions) session.status = 'removed'
      client.sessions = []
      client.lastActiveSessionId = null
      client.signIn = null
      client.updatedAt = Date.now()
      const body = clientJson(client)
      return send(req, res, 200, { response: body, client: body }, clientCookies(client))
    }
    if (path === '/v1/oauth_callback') {
      // The provider sent the browser back here with ?code&state (GET, or POST for form_post).
      const state = q.get('state') ?? form.get('state') ?? ''
      const pending = signInsByState.get(state)
      if (!pending || (q.get('code') ?? form.get('code')) !== `code-for-${state}`) {
        return send(req, res, ...error('oauth_callback_invalid', 'Unknown OAuth state', 422))
      }
      signInsByState.delete(state)
      const session = createSession(pending.client, req)
      pending.signIn.status = 'complete'
      pending.signIn.createdSessionId = session.id
      return redirect(req, res, 303, pending.signIn.redirectUrl ?? '/', clientCookies(pending.client))
    }
    if (path === '/v1/client/handshake') {
      // Bounce through /v1/client/sync on FAPI's own origin, as a FAPI that builds absolute URLs
      // from its own host would: the proxy must rewrite that Location onto the proxy URL.
      const redirectUrl = q.get('redirect_url')
      if (!redirectUrl) return send(req, res, ...error('form_param_missing', 'redirect_url is missing', 400))
      return redirect(req, res, 307, `${fapi.url}/v1/client/sync?redirect_url=${encodeURIComponent(redirectUrl)}`)
    }
    if (path === '/v1/client/sync') {
      const redirectUrl = q.get('redirect_url')
      if (!redirectUrl) return send(req, res, ...error('form_param_missing', 'redirect_url is missing', 400))
      const session = client?.sessions.find((s) => s.status === 'active')
      const cookies = session
        ? [
            `__session=${issueToken(session, req, { handshake: true })}; Path=/; SameSite=Lax`,
            `__client_uat=${Math.floor(client!.updatedAt / 1000)}; Path=/; Expires=${COOKIE_EXPIRES}; Secure; SameSite=Lax`,
          ]
        : [`__client_uat=0; Path=/; Expires=${COOKIE_EXPIRES}; Secure; SameSite=Lax`]
      return redirect(req, res, 307, redirectUrl, cookies)
    }
    send(req, res, ...error('resource_not_found', `The stand-in has no route ${method} ${path}`, 404))
  }

  function signIn(req: IncomingMessage, res: ServerResponse, client: Client, form: URLSearchParams, proxyUrl: string): void {
    const strategy = form.get('strategy') ?? (form.has('password') ? 'password' : '')
    const signIn: SignIn = { id: randomId('sia'), status: 'needs_first_factor', strategy, createdSessionId: null, redirectUrl: null, externalUrl: null }
    if (strategy.startsWith('oauth_')) {
      const state = randomBytes(12).toString('base64url')
      signIn.redirectUrl = form.get('redirect_url')
      // FAPI builds the provider's redirect_uri from Clerk-Proxy-Url, so the provider sends the
      // browser back through the proxy.
      const callback = `${proxyUrl}/v1/oauth_callback`
      // Apple answers with response_mode=form_post: the browser POSTs code and state back.
      const responseMode = strategy === 'oauth_apple' ? 'form_post' : 'query'
      const authorize = new URLSearchParams({ state, redirect_uri: callback, client_id: 'stand-in', response_mode: responseMode })
      signIn.externalUrl = `${provider.url}/oauth/authorize?${authorize}`
      signInsByState.set(state, { client, signIn })
    } else if (strategy === 'password') {
      if (form.get('identifier') !== DEMO_USER.email || form.get('password') !== DEMO_USER.password) {
        return send(req, res, ...error('form_password_incorrect', 'Password is incorrect. Try again, or use another method.', 422))
      }
      signIn.status = 'complete'
      signIn.createdSessionId = createSession(client, req).id
    } else {
      return send(req, res, ...error('form_param_missing', 'Enter a password or choose a provider', 422))
    }
    client.signIn = signIn
    client.updatedAt = Date.now()
    send(req, res, 200, { response: signInJson(signIn), client: clientJson(client) }, clientCookies(client))
  }

  function clientJson(client: Client): Record<string, unknown> {
    return {
      object: 'client',
      id: client.id,
      sessions: client.sessions.filter((s) => s.status === 'active').map(sessionJson),
      sign_in: client.signIn ? signInJson(client.signIn) : null,
      sign_up: null,
      last_active_session_id: client.lastActiveSessionId,
      captcha_bypass: false,
      cookie_expires_at: null,
      created_at: client.createdAt,
      updated_at: client.updatedAt,
    }
  }

  return {
    fapi,
    answers,
    provider,
    issuedTokens,
    async close() {
      await Promise.all([fapi.close(), provider.close()])
    },
  }
}

function userJson(): Record<string, unknown> {
  const now = Date.now()
  return {
    object: 'user',
    id: DEMO_USER.id,
    first_name: DEMO_USER.firstName,
    last_name: DEMO_USER.lastName,
    username: null,
    image_url: '',
    has_image: false,
    primary_email_address_id: 'idn_demo',
    email_addresses: [
      {
        object: 'email_address',
        id: 'idn_demo',
        email_address: DEMO_USER.email,
        verification: { object: 'verification', status: 'verified', strategy: 'email_code', attempts: 1, expire_at: null },
        linked_to: [],
        created_at: now,
        updated_at: now,
      },
    ],
    phone_numbers: [],
    web3_wallets: [],
    external_accounts: [],
    enterprise_accounts: [],
    passkeys: [],
    organization_memberships: [],
    password_enabled: true,
    two_factor_enabled: false,
    public_metadata: {},
    unsafe_metadata: {},
    last_sign_in_at: now,
    created_at: now,
    updated_at: now,
  }
}

function sessionJson(session: Session): Record<string, unknown> {
  return {
    object: 'session',
    id: session.id,
    status: session.status,
    expire_at: session.createdAt + 7 * 86_400_000,
    abandon_at: session.createdAt + 30 * 86_400_000,
    last_active_at: session.lastActiveAt,
    last_active_organization_id: null,
    last_active_token: { object: 'token', jwt: session.lastToken },
    actor: null,
    tasks: null,
    factor_verification_age: [0, -1],
    user: userJson(),
    public_user_data: { first_name: DEMO_USER.firstName, last_name: DEMO_USER.lastName, image_url: '', has_image: false, identifier: DEMO_USER.email },
    created_at: session.createdAt,
    updated_at: session.lastActiveAt,
  }
}

function signInJson(signIn: SignIn): Record<string, unknown> {
  const verification =
    signIn.status === 'complete'
      ? { object: 'verification', status: 'verified', strategy: signIn.strategy, attempts: 1, expire_at: null }
      : {
          object: 'verification',
          status: 'unverified',
          strategy: signIn.strategy,
          attempts: null,
          expire_at: Date.now() + 600_000,
          external_verification_redirect_url: signIn.externalUrl,
        }
  return {
    object: 'sign_in_attempt',
    id: signIn.id,
    status: signIn.status,
    identifier: DEMO_USER.email,
    supported_identifiers: ['email_address'],
    supported_first_factors: [{ strategy: 'password' }, { strategy: 'oauth_google' }],
    supported_second_factors: null,
    first_factor_verification: verification,
    second_factor_verification: null,
    created_session_id: signIn.createdSessionId,
    user_data: { first_name: DEMO_USER.firstName, last_name: DEMO_USER.lastName },
    abandon_at: Date.now() + 86_400_000,
  }
}

/** `writeHead` through `setHeader`, so the answer's headers stay readable for the record. */
function writeHead(res: ServerResponse, status: number, headers: Record<string, string | string[] | number>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.writeHead(status)
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** Reads a form (or empty) body into the record and parses it. */
function readForm(req: IncomingMessage, record: RecordedRequest): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      record.bodyLength = body.length
      record.bodyText = body.toString('utf8').slice(0, 65536)
      resolve(new URLSearchParams(String(req.headers['content-type'] ?? '').includes('urlencoded') ? record.bodyText : ''))
    })
    req.on('error', () => resolve(new URLSearchParams()))
  })
}

/**
 * An "external" OAuth provider on its own origin: `/oauth/authorize?state&redirect_uri`
 * sends the browser straight back (a user who consents at once) to `redirect_uri?code&state`,
 * or with `response_mode=form_post` through an auto-submitting form POST.
 */
async function startProviderStandIn(): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = []
  const server: Server = createServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: { ...req.headers },
      rawHeaders: [...req.rawHeaders],
      remoteAddress: req.socket.remoteAddress,
      remotePort: req.socket.remotePort,
      bodyLength: 0,
      bodySha256: undefined,
      bodyText: '',
      aborted: false,
      cutOff: false,
      completed: true,
    })
    const url = new URL(req.url ?? '/', 'http://provider')
    const state = url.searchParams.get('state')
    const back = url.searchParams.get('redirect_uri')
    if (url.pathname !== '/oauth/authorize' || !state || !back) {
      res.writeHead(400, { 'content-type': 'text/plain' })
      return void res.end('bad authorize request')
    }
    const answer = new URLSearchParams({ code: `code-for-${state}`, state })
    if (url.searchParams.get('response_mode') === 'form_post') {
      const attr = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
      const inputs = [...answer].map(([name, value]) => `<input type="hidden" name="${attr(name)}" value="${attr(value)}">`).join('')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      return void res.end(`<!doctype html><form method="POST" action="${attr(back)}">${inputs}</form><script>document.forms[0].submit()</script>`)
    }
    res.writeHead(302, { location: `${back}?${answer}` })
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
