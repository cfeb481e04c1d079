import { defineEventHandler } from 'h3'

export default defineEventHandler((event) => `page: ${event.context.auth().userId === null ? 'signed out' : 'signed in'}`)
