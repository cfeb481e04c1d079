// Every proxy the WAN bench measures, each reaching the HTTPS stand-in through its own relay
// port and trusting the stand-in's throw-away CA the way its runtime allows. Readiness is a TCP
// connect, never a proxied request: that would warm the upstream connection the cold scenario
// is about.
import { connect } from 'node:net'
import { join } from 'node:path'
import { bin, CONTENDERS, oursBunEntry, oursDenoEntry, PUBLISHABLE_KEY, SECRET_KEY } from '../lib/contenders.mjs'
import { commonConfig, commonHttp, startNginx } from '../lib/nginx.mjs'
import { startServer } from '../lib/processes.mjs'

/**
 * @typedef {object} WanStartContext
 * @property {string} root the repository root
 * @property {number} port where the proxy listens (127.0.0.1)
 * @property {number} fapiPort the relay port that leads to this proxy's stand-in port
 * @property {string} caFile the stand-in's CA certificate (PEM)
 * @property {string} tmpDir scratch space for this contender
 */
/**
 * @typedef {object} WanContender
 * @property {string} id
 * @property {string} label
 * @property {'ours' | 'clerk' | 'nginx'} kind
 * @property {string} trust how it was made to trust the stand-in's certificate
 * @property {(root: string) => string | undefined} unavailable
 * @property {(ctx: WanStartContext) => Promise<{ pid: number, stop(): Promise<void>, output(): string }>} start
 */

/** Resolves once 127.0.0.1:port accepts a TCP connection (nothing is sent). */
export async function waitForListening(port, { alive = () => true, describe = () => '', timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise((done) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy()
        done(true)
      })
      socket.on('error', () => done(false))
    })
    if (ok) return
    if (!alive()) throw new Error(`contender on port ${port} exited:\n${describe()}`)
    if (Date.now() > deadline) throw new Error(`contender on port ${port} did not listen in time:\n${describe()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const proxyEnv = (ctx) => ({
  PORT: String(ctx.port),
  HOST: '127.0.0.1',
  CLERK_SECRET_KEY: SECRET_KEY,
  CLERK_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
  CLERK_FAPI_URL: `https://127.0.0.1:${ctx.fapiPort}`,
  CLERK_PROXY_LOG: 'off',
  // Node and Bun read extra trusted CAs from here.
  NODE_EXTRA_CA_CERTS: ctx.caFile,
  NODE_ENV: 'production',
})

function startProxy(ctx, command, args, extraEnv = {}) {
  return startServer(command, args, {
    cwd: ctx.root,
    env: { ...proxyEnv(ctx), ...extraEnv },
    role: 'proxy',
    ready: (proc) => waitForListening(ctx.port, { alive: () => !proc.exited(), describe: proc.output }),
  })
}

/**
 * nginx as a Clerk FAPI proxy over HTTPS. `tuned: false` is Clerk's guide as written
 * (`proxy_pass https://…` straight to the host: HTTP/1.0, a new connection per request);
 * `tuned: true` adds an `upstream {}` block with keep-alive, HTTP/1.1 and `Connection ""`.
 * Certificate checking stays at nginx's default (off), as in the guide.
 */
function startNginxOverTls(ctx, tuned) {
  const upstream = tuned ? 'https://clerk_fapi' : `https://127.0.0.1:${ctx.fapiPort}`
  const config = `${commonConfig(ctx.tmpDir)}
http {
${commonHttp(ctx.tmpDir)}
${tuned ? `  upstream clerk_fapi {\n    server 127.0.0.1:${ctx.fapiPort};\n    keepalive 64;\n  }` : ''}
  server {
    listen 127.0.0.1:${ctx.port};
    location /__clerk/ {
      rewrite ^/__clerk/(.*)$ /$1 break;
      proxy_pass ${upstream};
${tuned ? '      proxy_http_version 1.1;\n      proxy_set_header Connection "";' : ''}
      proxy_set_header Clerk-Proxy-Url http://127.0.0.1:${ctx.port}/__clerk;
      proxy_set_header Clerk-Secret-Key ${SECRET_KEY};
      proxy_set_header X-Forwarded-For $remote_addr;
    }
    location / { return 404; }
  }
}
`
  return startNginx(ctx.tmpDir, config, ctx.port, 'proxy')
}

const nodeTrust = 'NODE_EXTRA_CA_CERTS'
const LOOPBACK = new Map(CONTENDERS.map((c) => [c.id, c]))

/**
 * A contender of the loopback bench (same id, same availability check), started over TLS.
 * @returns {WanContender}
 */
function overTls(id, label, trust, command) {
  const { kind, unavailable } = /** @type {import('../lib/contenders.mjs').Contender} */ (LOOPBACK.get(id))
  return { id, label, kind, trust, unavailable, start: (ctx) => startProxy(ctx, ...command(ctx)) }
}
const deno = (ctx) => ({ DENO_DIR: join(ctx.root, '.deno'), DENO_NO_UPDATE_CHECK: '1' })

/** @type {WanContender[]} */
export const WAN_CONTENDERS = [
  overTls('ours-node', 'ours · Node (CLI)', nodeTrust, () => [process.execPath, ['bin/clerk-proxy.js']]),
  overTls('ours-bun', 'ours · Bun', nodeTrust, (ctx) => [bin(ctx.root, 'bun'), ['run', oursBunEntry()]]),
  overTls('ours-deno', 'ours · Deno', 'deno run --cert', (ctx) => [bin(ctx.root, 'deno'), ['run', '-A', '--cert', ctx.caFile, oursDenoEntry()], deno(ctx)]),
  overTls('clerk-node', "Clerk's helper · Node", nodeTrust, () => [process.execPath, ['bench/contenders/clerk-helper.mjs']]),
  overTls('clerk-bun', "Clerk's helper · Bun", nodeTrust, (ctx) => [bin(ctx.root, 'bun'), ['run', 'bench/contenders/clerk-helper.mjs']]),
  { id: 'nginx-guide', label: "nginx (Clerk's guide)", kind: 'nginx', trust: 'proxy_ssl_verify off (nginx default)', unavailable: () => undefined, start: (ctx) => startNginxOverTls(ctx, false) },
  { id: 'nginx-tuned', label: 'nginx tuned (upstream keepalive)', kind: 'nginx', trust: 'proxy_ssl_verify off (nginx default)', unavailable: () => undefined, start: (ctx) => startNginxOverTls(ctx, true) },
]
