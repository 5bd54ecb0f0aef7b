import { configSchema, type ParsedJob } from '../src/internal.js';

export { createRateLimiter, parseBandwidth, throttleStream } from '../src/internal.js';

/** Parses an `upload` block through the real config schema. */
export function uploadSchemaForTests(upload: Record<string, unknown>): ParsedJob['upload'] {
  const config = {
    jobs: { j: { source: '/s', target: { bucket: 'b' }, strategy: { use: 'x' }, upload } },
  };
  return configSchema.parse(config).jobs.j!.upload;
}
