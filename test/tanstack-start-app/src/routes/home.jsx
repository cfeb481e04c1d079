import { auth } from '@clerk/tanstack-react-start/server'
import { createFileRoute } from '@tanstack/react-router'

export const Route = createFileRoute('/home')({
  server: {
    handlers: {
      GET: async () => {
        const { userId } = await auth()
        return new Response(`home page served by tanstack start, page: ${userId === null ? 'signed out' : 'signed in'}`)
      },
    },
  },
})
