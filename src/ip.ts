/**
 * Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4) into its bytes, or
 * `undefined` when the text is not an address. Zone ids (`fe80::1%eth0`) are not accepted.
 *
 * @example
 * parseIp('::ffff:10.0.0.1') // Uint8Array [10, 0, 0, 1]
 */
export function parseIp(text: string): Uint8Array | undefined {
  if (text.includes(':')) return parseIpv6(text)
  return parseIpv4(text)
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  const bytes = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    bytes[i] = n
  }
  return bytes
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined
  let tail: Uint8Array | undefined
  let head = text
  const lastColon = text.lastIndexOf(':')
  if (text.includes('.', lastColon)) {
    tail = parseIpv4(text.slice(lastColon + 1))
    if (!tail) return undefined
    head = text.slice(0, lastColon + 1) + '0:0'
  }
  const halves = head.split('::')
  if (halves.length > 2) return undefined
  const toGroups = (s: string): string[] => (s === '' ? [] : s.split(':'))
  const left = toGroups(halves[0]!)
  const right = halves.length === 2 ? toGroups(halves[1]!) : []
  const missing = 8 - left.length - right.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right]
  const bytes = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
    const n = parseInt(g, 16)
    bytes[i * 2] = n >> 8
    bytes[i * 2 + 1] = n & 0xff
  }
  if (tail) bytes.set(tail, 12)
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
  return mapped ? bytes.slice(12) : bytes
}

/**
 * Writes an address in its canonical text form (`::ffff:1.2.3.4` becomes `1.2.3.4`, IPv6 is
 * lower-case and compressed), or `undefined` when it is not an address.
 *
 * @example
 * normalizeIp('::FFFF:127.0.0.1') // '127.0.0.1'
 */
export function normalizeIp(text: string): string | undefined {
  const bytes = parseIp(text)
  return bytes ? formatIp(bytes) : undefined
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.')
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!)
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) { bestStart = i; bestLen = j - i }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}

/** A predicate over addresses, built once from a list of addresses and CIDR ranges. */
export type AddressMatcher = (address: Uint8Array) => boolean

/**
 * Builds a matcher for one address or CIDR range (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`).
 * Returns `undefined` when the text is neither.
 *
 * @example
 * cidrMatcher('10.0.0.0/8')?.(parseIp('10.1.2.3')!) // true
 */
export function cidrMatcher(text: string): AddressMatcher | undefined {
  const slash = text.indexOf('/')
  const base = parseIp(slash < 0 ? text : text.slice(0, slash))
  if (!base) return undefined
  const maxBits = base.length * 8
  let bits = maxBits
  if (slash >= 0) {
    const suffix = text.slice(slash + 1)
    if (!/^\d{1,3}$/.test(suffix)) return undefined
    bits = Number(suffix)
    // An IPv4-mapped IPv6 range like ::ffff:10.0.0.0/104 was parsed as IPv4: shift its length.
    if (base.length === 4 && text.includes(':')) bits -= 96
    if (bits < 0 || bits > maxBits) return undefined
  }
  return (address) => {
    if (address.length !== base.length) return false
    let remaining = bits
    for (let i = 0; remaining > 0; i++, remaining -= 8) {
      const mask = remaining >= 8 ? 0xff : (0xff << (8 - remaining)) & 0xff
      if ((address[i]! & mask) !== (base[i]! & mask)) return false
    }
    return true
  }
}
