// The proxy as a resource route: GET/HEAD reach the loader, every other method the action.
export { loader, action } from '@fapi-proxy/clerk/react-router'
