import { ClerkProvider } from '@clerk/react-router'
import { clerkMiddleware, rootAuthLoader } from '@clerk/react-router/server'
import { withClerkProxy } from '@fapi-proxy/clerk/react-router'
import { Outlet, Scripts } from 'react-router'

// Clerk's middleware guards every route but the proxy's prefix.
export const middleware = [withClerkProxy(clerkMiddleware())]

export const loader = (args) => rootAuthLoader(args)

export function Layout({ children }) {
  return (
    <html lang="en">
      <body>
        {children}
        <Scripts />
      </body>
    </html>
  )
}

export default function App({ loaderData }) {
  return (
    <ClerkProvider loaderData={loaderData}>
      <Outlet />
    </ClerkProvider>
  )
}
