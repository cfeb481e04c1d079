export const GET = () => new Response('home page served by sveltekit')
export const POST = async ({ request }) => Response.json({ parsed: await request.json() })
