/**
 * The upload bandwidth limiter sits under the S3 client: every request body, single PUT or
 * multipart part, passes through it, byte-exact. (The achieved rate is a measurement, done
 * by bench/bandwidth.mjs, not asserted here.)
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { configSchema, createS3Target, type RateLimiter } from '@recsync/framework/internal';
import { createTestClient } from '@recsync/framework/testing';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());

function recordingLimiter(): RateLimiter & { taken: number[] } {
  const taken: number[] = [];
  return { bytesPerSecond: 1, taken, take: async (n) => void taken.push(n) };
}

const targetConfig = (bucket: string) =>
  configSchema.parse({
    jobs: {
      j: {
        source: '/s',
        target: { bucket, endpoint, forcePathStyle: true },
        strategy: { use: 'x' },
      },
    },
  }).jobs.j!.target;

describe('upload bandwidth limiter', () => {
  it('meters every body byte of single and multipart uploads; objects are byte-exact', async () => {
    const bucket = `bw-${randomBytes(5).toString('hex')}`;
    await client.createBucket(bucket);
    const limiter = recordingLimiter();
    const target = await createS3Target(targetConfig(bucket), { maxSockets: 4, limiter });
    try {
      const small = randomBytes(300 * 1024);
      await target.put({
        input: { Bucket: bucket, Key: 'small.bin', Body: small, ContentLength: small.length },
      });
      expect(limiter.taken.reduce((a, b) => a + b, 0)).toBe(small.length);
      expect(Math.max(...limiter.taken)).toBeLessThanOrEqual(64 * 1024);

      limiter.taken.length = 0;
      const large = randomBytes(11 * 1024 * 1024);
      await target.putMultipart({
        input: { Bucket: bucket, Key: 'large.bin' },
        size: large.length,
        partSize: 5 * 1024 * 1024,
        partConcurrency: 2,
        readPart: async (offset, length) => large.subarray(offset, offset + length),
      });
      // the three parts, plus the small XML body that completes the multipart upload
      const metered = limiter.taken.reduce((a, b) => a + b, 0);
      expect(metered).toBeGreaterThanOrEqual(large.length);
      expect(metered - large.length).toBeLessThan(2048);

      expect((await client.get(bucket, 'small.bin')).equals(small)).toBe(true);
      expect((await client.get(bucket, 'large.bin')).equals(large)).toBe(true);
      // reads are not metered: the limit is for uploads
      expect(limiter.taken.reduce((a, b) => a + b, 0)).toBe(metered);
    } finally {
      target.destroy();
    }
  });
});
