import { index, route } from '@react-router/dev/routes'

// "/" answers 404: the conformance suite expects it of every path the proxy does not answer.
// custom-clerk/* is the suite's custom prefix (CLERK_PROXY_PATH=/custom-clerk/ in one run).
export default [
  index('routes/not-found.js'),
  route('home', 'routes/home.jsx'),
  route('__clerk/*', 'routes/clerk-proxy.js', { id: 'clerk-proxy' }),
  route('custom-clerk/*', 'routes/clerk-proxy.js', { id: 'clerk-proxy-custom' }),
]
