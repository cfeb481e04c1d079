import { auth } from '@clerk/nextjs/server'

// Rendered per request behind clerkMiddleware(): the page reads Clerk's auth state.
export default async function Home() {
  const { userId } = await auth()
  return <p>{`home page served by the app, page: ${userId === null ? 'signed out' : 'signed in'}`}</p>
}
