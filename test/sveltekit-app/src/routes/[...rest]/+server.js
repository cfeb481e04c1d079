// Every path no other route serves answers a plain 404 (this app renders no pages).
const notFound = () => new Response('Not Found', { status: 404 })
export const GET = notFound
export const POST = notFound
export const PUT = notFound
export const PATCH = notFound
export const DELETE = notFound
export const OPTIONS = notFound
export const HEAD = notFound
