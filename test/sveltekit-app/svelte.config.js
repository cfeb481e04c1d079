// The smallest SvelteKit app on the Node adapter.
import adapter from '@sveltejs/adapter-node'

export default { kit: { adapter: adapter() } }
