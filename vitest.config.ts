import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // A floating promise that rejects must fail the run, not only be reported.
    poolOptions: { forks: { execArgv: ['--unhandled-rejections=strict'] } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // Each integration file starts its own emulated cluster; two at a time fit 2 cores.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
