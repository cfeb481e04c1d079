import { auth } from '@clerk/nextjs/server'

// Rendered per request behind clerkMiddleware(): the page reads Clerk's auth state.
export default async function Home() {
  // Without Clerk's keys (suites that do not set them) clerkMiddleware() is not in front.
  const { userId } = process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY ? await auth() : { userId: null }
  return <p>{`home page served by the app, page: ${userId === null ? 'signed out' : 'signed in'}`}</p>
}
