/**
 * Request ids, so an operator can match a user's complaint to an access-log line. The id
 * comes from `X-Request-Id` only when the connecting peer is a trusted proxy (the
 * `TRUST_PROXY` rule: a load balancer that set it), and is made here otherwise. It goes on the
 * response and in the log line; it is not sent to Clerk, and neither is a client's own
 * `X-Request-Id` (see `DROPPED_REQUEST_HEADERS`): Clerk documents no such header, and a
 * client's value must not reach Clerk looking like ours.
 */
import { isTrustedPeer, type TrustProxy } from './client-ip.ts'

/** The header carrying the request id, in and out. */
export const REQUEST_ID_HEADER = 'x-request-id'

// What a proxy's id looks like (UUIDs, Envoy's, AWS trace ids, hex): short, no spaces or
// quotes, so it can sit in a log line as is.
const ACCEPTED_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/

/**
 * The id of one request: the trusted proxy's `X-Request-Id` when it is well-formed, else a
 * new random UUID.
 *
 * @example
 * requestIdFor('lb-4f2a', '10.0.0.2', parseTrustProxy('private')) // 'lb-4f2a'
 * requestIdFor('lb-4f2a', '203.0.113.7', parseTrustProxy('private')) // a new UUID
 */
export function requestIdFor(incoming: string | undefined, peerIp: string | undefined, trust: TrustProxy): string {
  if (incoming !== undefined && ACCEPTED_ID.test(incoming) && isTrustedPeer(peerIp, trust)) return incoming
  return crypto.randomUUID()
}
