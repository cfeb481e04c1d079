/**
 * Where Clerk's built-in proxy (`frontendApiProxy`) differs from the conformance suite, by
 * framework: the list clerk-builtin.conformance.test.ts runs as expected failures, and the table
 * docs/frameworks-comparison.md shows.
 */
// What each built-in does instead, case by case; every entry is a run that fails (`test.fails`).
const PROXY_URL_FROM_REQUEST = 'no setting for the public URL: Clerk-Proxy-Url is always the request origin + prefix'
const EVERY_BUILT_IN: Record<string, string> = {
  "GET /__clerk/v1/client reaches FAPI as exactly /v1/client with the proxy headers, FAPI Host and the client's other headers": PROXY_URL_FROM_REQUEST,
  'a custom prefix configured with a trailing slash is normalized: it alone is proxied, with its own Clerk-Proxy-Url': PROXY_URL_FROM_REQUEST,
  'sets Clerk-Proxy-Url, Clerk-Secret-Key and X-Forwarded-For, overwriting every client copy':
    "client IP forgeable: X-Forwarded-For comes from the client's CF-Connecting-IP / X-Real-IP / X-Forwarded-For; Clerk-Proxy-Url from its X-Forwarded-Host",
  'derives the public proxy URL from its own origin, never from client X-Forwarded-Host':
    "public URL forgeable: a client's X-Forwarded-Proto + X-Forwarded-Host become Clerk-Proxy-Url",
  'does not follow redirects and rewrites FAPI Locations onto the public proxy URL':
    'no setting for the public URL: Locations are rewritten onto the request origin',
  'keeps Content-Encoding and Content-Length true to the bytes sent':
    'compressed assets: asks Clerk for identity, so clerk.browser.js is sent uncompressed',
  'a client disconnect aborts the upstream request': 'abort: a client disconnect leaves the upstream request open',
  'answers 502 proxy_request_failed when Clerk is unreachable and 504 proxy_timeout when it is slow':
    'timeout: none; a slow Clerk holds the request until it answers',
  'answers 500 proxy_configuration_error (no-store) or refuses to start without a valid secret or FAPI URL, naming the variable, never echoing it, sending nothing':
    'configuration: an invalid secret key is forwarded to Clerk, not reported',
  'never returns the secret key, even when Clerk reflects it': 'secret: a Clerk-Secret-Key response header reaches the browser',
}
const DELETE_BODY = 'request bodies: a DELETE body is dropped (only POST, PUT and PATCH bodies are forwarded)'

/** Framework → the cases Clerk's built-in proxy there is known to fail. */
export const BUILT_IN_DIFFERENCES: Record<string, Record<string, string>> = {
  express: {
    ...EVERY_BUILT_IN,
    'keeps every Set-Cookie as its own header, Expires dates intact': 'cookies: only the last Set-Cookie of a response reaches the browser',
    'streams request bodies byte-exact (POST, DELETE with a body, form posts)': DELETE_BODY,
  },
  fastify: {
    ...EVERY_BUILT_IN,
    'does not follow redirects and rewrites FAPI Locations onto the public proxy URL':
      'no setting for the public URL: Locations are rewritten onto the request origin, without its port',
    "GET /__clerk/v1/client reaches FAPI as exactly /v1/client with the proxy headers, FAPI Host and the client's other headers":
      `${PROXY_URL_FROM_REQUEST}, without the port`,
    'a custom prefix configured with a trailing slash is normalized: it alone is proxied, with its own Clerk-Proxy-Url': `${PROXY_URL_FROM_REQUEST}, without the port`,
    'streams request bodies byte-exact (POST, DELETE with a body, form posts)': DELETE_BODY,
  },
  hono: EVERY_BUILT_IN,
}

/**
 * Next.js: `clerkMiddleware({ frontendApiProxy })` from @clerk/nextjs, run through the
 * integration case list (test/integrations/cases.ts) in the same `next start` as our helpers.
 */
export const NEXT_BUILT_IN_DIFFERENCES: Record<string, string> = {
  'client-sent forwarding, proxy-url and secret headers never decide anything':
    "client IP and public URL forgeable: X-Forwarded-For from the client's CF-Connecting-IP / X-Real-IP, Clerk-Proxy-Url from X-Forwarded-Host",
  'does not follow redirects and rewrites a Location on the FAPI host':
    'no setting for the public URL: Locations are rewritten onto the request origin (and Next.js makes them relative)',
  'never returns the secret, even when the upstream reflects it': 'secret: a Clerk-Secret-Key response header reaches the browser',
}

/**
 * The markdown of docs/frameworks-comparison.md: one row per case where some built-in differs,
 * then what each does instead.
 *
 * @example
 * writeFileSync('docs/frameworks-comparison.md', intro + comparisonTable())
 */
export function comparisonTable(): string {
  const frameworks = Object.keys(BUILT_IN_DIFFERENCES)
  const cases = [...new Set(frameworks.flatMap((f) => Object.keys(BUILT_IN_DIFFERENCES[f]!)))]
  const title = (f: string): string => f[0]!.toUpperCase() + f.slice(1)
  const header = `| conformance case | ${frameworks.map((f) => `${title(f)}: ours | ${title(f)}: Clerk's`).join(' | ')} |`
  const rule = `| --- | ${frameworks.map(() => ':-: | :-:').join(' | ')} |`
  const rows = cases.map((name) => `| ${name} | ${frameworks.map((f) => `pass | ${BUILT_IN_DIFFERENCES[f]![name] ? '**fails**' : 'pass'}`).join(' | ')} |`)
  const reasons = cases.flatMap((name) => {
    const byReason = new Map<string, string[]>()
    for (const f of frameworks) {
      const reason = BUILT_IN_DIFFERENCES[f]![name]
      if (reason) byReason.set(reason, [...(byReason.get(reason) ?? []), title(f)])
    }
    return [...byReason].map(([reason, where]) => `- ${reason} (${where.join(', ')}).`)
  })
  const nextRows = Object.entries(NEXT_BUILT_IN_DIFFERENCES).map(([name, reason]) => `| ${name} | pass | **fails**: ${reason} |`)
  return [
    header,
    rule,
    ...rows,
    '',
    "What Clerk's built-in proxy does instead:",
    '',
    ...reasons,
    '',
    "Next.js (the integration case list; every other case passes for both):",
    '',
    "| integration case | Next.js: ours | Next.js: Clerk's |",
    '| --- | :-: | --- |',
    ...nextRows,
  ].join('\n')
}
