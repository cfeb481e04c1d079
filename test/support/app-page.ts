/**
 * The app page used by the browser suite and by `npm run demo`: it loads the real clerk-js
 * bundle through the proxy (`<proxy>/npm/@clerk/clerk-js@<major>/dist/clerk.browser.js`, with
 * `data-clerk-proxy-url`), runs `Clerk.load()`, and offers password sign-in, an OAuth round
 * trip, a session token, a handshake round trip and sign-out. Tests drive it through
 * `window.app`; people click its buttons.
 */

/** How the page is set up. */
export interface AppPageOptions {
  /** A `pk_live_` publishable key. */
  publishableKey: string
  /** The proxy URL, absolute or relative to the page (e.g. `/__clerk`). */
  proxyUrl: string
  /** The clerk-js version label in the script URL (FAPI serves `6` as well as `6.40.0`). */
  clerkJsVersion: string
  /** Prefilled credentials (the demo user), so the demo is one click. */
  email?: string
  password?: string
  /** Shows the "what the proxy changed" panel, fed by this same-origin JSON URL. */
  panelUrl?: string
  /** A banner at the top, e.g. that the upstream is a local stand-in. */
  banner?: string
}

/**
 * Renders the page. Query `?flow=sso-callback` finishes an OAuth sign-in
 * (`handleRedirectCallback`), `?load=0` leaves clerk-js unloaded (to inspect cookies a
 * redirect set before clerk-js touches them).
 *
 * @example
 * const html = appPageHtml({ publishableKey: 'pk_live_…', proxyUrl: '/__clerk', clerkJsVersion: '6' })
 */
export function appPageHtml(options: AppPageOptions): string {
  const config = JSON.stringify(options).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Clerk through the proxy</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f6f6f8; color: #1c1c24; }
  main { max-width: 980px; margin: 0 auto; padding: 20px; }
  .banner { background: #fff3cd; border: 1px solid #e0c36a; padding: 10px 14px; border-radius: 8px; margin-bottom: 16px; }
  .card { background: #fff; border: 1px solid #ddd; border-radius: 10px; padding: 16px; margin-bottom: 16px; }
  h1 { font-size: 22px; margin: 0 0 12px; } h2 { font-size: 16px; margin: 0 0 10px; }
  input { padding: 6px 8px; margin: 0 8px 8px 0; width: 240px; }
  button { padding: 7px 12px; margin: 0 8px 8px 0; border-radius: 6px; border: 1px solid #6c47ff; background: #6c47ff; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #6c47ff; }
  #status[data-state="ready"] { color: #137333; } #status[data-state="error"] { color: #b3261e; }
  pre { background: #f1f1f4; padding: 8px; border-radius: 6px; overflow-x: auto; font-size: 12.5px; white-space: pre-wrap; word-break: break-all; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; } td, th { text-align: left; border-bottom: 1px solid #eee; padding: 4px 6px; vertical-align: top; }
  .added { color: #137333; } .removed { color: #b3261e; } code { font-size: 12.5px; }
</style>
</head>
<body>
<main>
  <div class="banner" id="banner" hidden></div>
  <h1>Clerk, loaded through the proxy</h1>
  <div class="card">
    <div>clerk-js: <strong id="status" data-state="loading">loading through the proxy…</strong></div>
    <div>Proxy URL: <code id="proxy-url"></code></div>
    <div>User: <strong id="user">signed out</strong></div>
  </div>
  <div class="card" id="signed-out-actions">
    <h2>Sign in</h2>
    <input id="email" type="email" placeholder="email" autocomplete="username">
    <input id="password" type="password" placeholder="password" autocomplete="current-password">
    <div>
      <button id="sign-in">Sign in with password</button>
      <button id="oauth" class="secondary">Sign in with the OAuth provider stand-in</button>
    </div>
    <div id="error" class="removed"></div>
  </div>
  <div class="card" id="signed-in-actions" hidden>
    <h2>Signed in</h2>
    <button id="token">Get a session token</button>
    <button id="handshake" class="secondary">Handshake round trip</button>
    <button id="sign-out" class="secondary">Sign out</button>
    <pre id="token-claims" hidden></pre>
  </div>
  <div class="card" id="panel" hidden>
    <h2>What the proxy changed on the last request</h2>
    <div id="panel-body">No request yet.</div>
  </div>
</main>
<script type="application/json" id="config">${config}</script>
<script>
(() => {
  const config = JSON.parse(document.getElementById('config').textContent)
  const $ = (id) => document.getElementById(id)
  const params = new URLSearchParams(location.search)
  const proxyUrl = new URL(config.proxyUrl, location.href).href.replace(/\\/$/, '')
  const pageUrl = (query) => location.origin + location.pathname + query
  $('proxy-url').textContent = proxyUrl
  if (config.banner) { $('banner').textContent = config.banner; $('banner').hidden = false }
  if (config.email) $('email').value = config.email
  if (config.password) $('password').value = config.password

  const decodeJwt = (jwt) => JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
  const render = () => {
    const user = window.Clerk && window.Clerk.user
    $('user').textContent = user ? user.primaryEmailAddress.emailAddress + ' (' + user.id + ')' : 'signed out'
    $('signed-in-actions').hidden = !user
    $('signed-out-actions').hidden = !!user
  }
  const fail = (error) => {
    $('error').textContent = String(error && (error.errors?.[0]?.longMessage || error.message) || error)
    throw error
  }

  function loadClerk() {
    return new Promise((resolve, reject) => {
      const script = document.createElement('script')
      script.src = proxyUrl + '/npm/@clerk/clerk-js@' + config.clerkJsVersion + '/dist/clerk.browser.js'
      script.setAttribute('data-clerk-publishable-key', config.publishableKey)
      script.setAttribute('data-clerk-proxy-url', proxyUrl)
      script.onerror = () => reject(new Error('clerk.browser.js failed to load through the proxy'))
      script.onload = () => window.Clerk.load({ telemetry: false }).then(resolve, reject)
      document.head.appendChild(script)
    })
  }

  const app = {
    ready: undefined,
    async signIn(email, password) {
      const signIn = await window.Clerk.client.signIn.create({ identifier: email, password }).catch(fail)
      await window.Clerk.setActive({ session: signIn.createdSessionId })
      render()
      return { status: signIn.status, userId: window.Clerk.user && window.Clerk.user.id }
    },
    async oauth(strategy) {
      await window.Clerk.client.signIn.authenticateWithRedirect({
        strategy: strategy || 'oauth_google',
        redirectUrl: pageUrl('?flow=sso-callback'),
        redirectUrlComplete: pageUrl('?flow=oauth-done'),
      }).catch(fail)
    },
    async token() {
      const jwt = await window.Clerk.session.getToken({ skipCache: true })
      const claims = decodeJwt(jwt)
      $('token-claims').textContent = JSON.stringify(claims, null, 2)
      $('token-claims').hidden = false
      return { jwt, claims }
    },
    handshake() {
      location.href = proxyUrl + '/v1/client/handshake?redirect_url=' + encodeURIComponent(pageUrl('?flow=handshake'))
    },
    async signOut() {
      await window.Clerk.signOut({ redirectUrl: pageUrl('?flow=signed-out') })
    },
  }
  window.app = app

  $('sign-in').onclick = () => app.signIn($('email').value, $('password').value)
  $('oauth').onclick = () => app.oauth()
  $('token').onclick = () => app.token()
  $('handshake').onclick = () => app.handshake()
  $('sign-out').onclick = () => app.signOut()

  if (params.get('load') === '0') {
    $('status').textContent = 'not loaded (load=0)'
    app.ready = Promise.resolve()
  } else {
    app.ready = loadClerk().then(async () => {
      // What @clerk/react does on every page: ask for the query client, which clerk-js loads
      // from two chunk files next to clerk.browser.js (so chunks, too, come through the proxy).
      if (!window.Clerk.__internal_queryClient) {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('clerk-js chunk files did not load')), 10000)
          window.Clerk.on('queryClientStatus', () => { clearTimeout(timer); resolve() })
        })
      }
      if (params.get('flow') === 'sso-callback') {
        await window.Clerk.handleRedirectCallback({ signInForceRedirectUrl: pageUrl('?flow=oauth-done') })
      }
      $('status').textContent = 'loaded (Clerk.load() finished, clerk-js ' + window.Clerk.version + ')'
      $('status').dataset.state = 'ready'
      window.Clerk.addListener(render)
      render()
    }, (error) => {
      $('status').textContent = 'failed: ' + (error && error.message || error)
      $('status').dataset.state = 'error'
      throw error
    })
  }

  if (config.panelUrl) {
    $('panel').hidden = false
    const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
    const row = (cls, name, value) => '<tr class="' + cls + '"><td><code>' + esc(name) + '</code></td><td><code>' + esc(value) + '</code></td></tr>'
    let shown = ''
    setInterval(async () => {
      const last = await fetch(config.panelUrl, { cache: 'no-store' }).then((r) => r.json()).catch(() => null)
      if (!last || !last.id || last.id === shown) return
      shown = last.id
      let html = '<p><strong>' + esc(last.method + ' ' + last.browserPath) + '</strong> → FAPI <code>' + esc(last.fapiUrl) + '</code> → ' + esc(last.status) + '</p>'
      html += '<p>IP the browser connected from: <code>' + esc(last.peer) + '</code>; <code>X-Forwarded-For</code> FAPI saw: <code>' + esc(last.forwardedFor) + '</code></p>'
      html += '<table><tr><th>header</th><th>what the proxy did</th></tr>'
      for (const h of last.added) html += row('added', '+ ' + h.name, h.value)
      for (const h of last.replaced) html += row('added', '~ ' + h.name, h.from + '  →  ' + h.to)
      for (const h of last.removed) html += row('removed', '- ' + h.name, h.value)
      html += '</table>'
      if (last.location) html += '<p>Location from FAPI: <code>' + esc(last.location.fromFapi) + '</code><br>Location the browser got: <code>' + esc(last.location.toBrowser) + '</code></p>'
      if (last.setCookies && last.setCookies.length) html += '<p>Set-Cookie passed through (' + last.setCookies.length + '): <code>' + last.setCookies.map(esc).join('</code>, <code>') + '</code></p>'
      if (last.redirects && last.redirects.length) {
        html += '<h2 style="margin-top:14px">Latest redirects (the proxy never follows them: the browser does)</h2>'
        for (const r of last.redirects) {
          html += '<p><strong>' + esc(r.method + ' ' + r.browserPath) + '</strong> → ' + esc(r.status) + '<br>Location from FAPI: <code>' + esc(r.location.fromFapi) + '</code><br>Location the browser got: <code>' + esc(r.location.toBrowser) + '</code>'
          html += (r.location.fromFapi === r.location.toBrowser ? ' <em>(unchanged: it does not point at FAPI)</em>' : ' <em class="added">(rewritten onto the proxy URL)</em>') + '</p>'
        }
      }
      $('panel-body').innerHTML = html
    }, 700)
  }
})()
</script>
</body>
</html>
`
}
