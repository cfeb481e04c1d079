import { auth } from '@clerk/nextjs/server'

// auth() throws unless clerkMiddleware() ran for this request and its headers reached the page.
export default async function Home() {
  const { userId } = await auth()
  return <p>home page behind clerkMiddleware: {userId ? 'signed in' : 'signed out'}</p>
}
