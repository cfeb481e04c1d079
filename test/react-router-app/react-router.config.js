// The smallest React Router framework-mode app with server rendering, built by `react-router build`.
export default { ssr: true }
