// Types for certificate.mjs (the test suite imports it).
export function makeCertificate(dir: string): { caFile: string; certFile: string; keyFile: string; ca: string; cert: string; key: string }
