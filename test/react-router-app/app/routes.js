import { index, route } from '@react-router/dev/routes'

// "/" answers 404: the conformance suite expects it of every path the proxy does not answer.
export default [index('routes/not-found.js'), route('home', 'routes/home.jsx'), route('__clerk/*', 'routes/clerk-proxy.js')]
