import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Every wait is a poll with a bound generous for a loaded 2-core machine (vitest's 1 s
    // default for expect.poll is not): a check that passes returns at once.
    expect: { poll: { timeout: 20_000 } },
    pool: 'forks',
    reporters: ['default'],
  },
})
