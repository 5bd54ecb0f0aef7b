import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run against the TypeScript sources through the `@recsync/source` export condition.
  ssr: { resolve: { conditions: ['@recsync/source'] } },
  resolve: { conditions: ['@recsync/source'] },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // The packed-install test runs npm installs (about a minute): `npm run test:install`, in CI.
    exclude: ['**/node_modules/**', '**/dist/**', 'test/install/packed-cli.test.ts'],
    globalSetup: ['test/setup/s3-server.global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    env: {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NO_COLOR: '1',
    },
  },
});
