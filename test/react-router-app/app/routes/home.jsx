import { getAuth } from '@clerk/react-router/server'
import { useLoaderData } from 'react-router'

export async function loader(args) {
  const { userId } = await getAuth(args)
  return { signedIn: userId !== null }
}

export default function Home() {
  const { signedIn } = useLoaderData()
  return <p>{`home page served by react router, page: ${signedIn ? 'signed in' : 'signed out'}`}</p>
}
