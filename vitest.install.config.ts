import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:install`: the packed tarballs installed into an empty prefix (see test/install/).
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/install/packed-cli.test.ts'],
    exclude: ['**/node_modules/**'],
  },
});
