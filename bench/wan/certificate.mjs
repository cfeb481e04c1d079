// The stand-in's certificate, made at run time with the `openssl` command (Node 20's crypto can
// make keys but not X.509 certificates): a throw-away CA and a leaf for 127.0.0.1 signed by it.
// A separate CA, rather than one self-signed leaf, because rustls (Deno) refuses a CA
// certificate used as a server's own certificate.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * @param {string} dir where the PEM files are written
 * @returns {{ caFile: string, certFile: string, keyFile: string, ca: string, cert: string, key: string }}
 */
export function makeCertificate(dir) {
  mkdirSync(dir, { recursive: true })
  const file = (name) => join(dir, name)
  const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl('req', '-x509', ...ec, '-subj', '/CN=bench-wan throw-away CA', '-days', '2', '-keyout', file('ca-key.pem'), '-out', file('ca.pem'))
  openssl('req', '-new', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', file('key.pem'), '-out', file('leaf.csr'))
  writeFileSync(file('leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n')
  openssl('x509', '-req', '-in', file('leaf.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'), '-CAcreateserial', '-days', '2', '-extfile', file('leaf.ext'), '-out', file('cert.pem'))
  return {
    caFile: file('ca.pem'),
    certFile: file('cert.pem'),
    keyFile: file('key.pem'),
    ca: readFileSync(file('ca.pem'), 'utf8'),
    cert: readFileSync(file('cert.pem'), 'utf8'),
    key: readFileSync(file('key.pem'), 'utf8'),
  }
}
