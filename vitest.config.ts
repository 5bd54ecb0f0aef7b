import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run against the TypeScript sources through the `@recsync/source` export condition.
  ssr: { resolve: { conditions: ['@recsync/source'] } },
  resolve: { conditions: ['@recsync/source'] },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/setup/s3-server.global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
