import { describeBuiltIn } from './clerk-builtin.ts'

// Clerk's built-in proxy in @clerk/fastify, through the conformance suite (known differences: docs/frameworks-comparison.md).
describeBuiltIn('fastify')
