export default function Home() {
  return <p>home page served by the app</p>
}
