import { describeBuiltIn } from './clerk-builtin.ts'

// Clerk's built-in proxy in @clerk/express, through the conformance suite (known differences: docs/frameworks-comparison.md).
describeBuiltIn('express')
