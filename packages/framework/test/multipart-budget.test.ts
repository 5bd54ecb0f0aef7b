import * as sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../src/concurrency.js';
import { runLimits, PART_BUDGET } from '../src/limits.js';
import { multipartUpload } from '../src/s3/multipart.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A client that answers every command after a few event-loop turns, counting parts in flight. */
function fakeClient() {
  const seen = { inFlight: 0, maxInFlight: 0, parts: 0 };
  const client = {
    async send(command: object) {
      if (command instanceof sdk.CreateMultipartUploadCommand) return { UploadId: 'u1' };
      if (command instanceof sdk.CompleteMultipartUploadCommand) return { ETag: '"e"' };
      if (!(command instanceof sdk.UploadPartCommand)) throw new Error('unexpected command');
      seen.parts++;
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      for (let i = 0; i < 5; i++) await tick();
      seen.inFlight--;
      return { ETag: `"p${command.input.PartNumber}"` };
    },
  };
  return { client: client as unknown as S3Client, seen };
}

function upload(client: S3Client, key: string, partSlots?: Semaphore) {
  const size = 6 * 5; // six parts of 5 bytes
  return multipartUpload(sdk, client, {
    input: { Bucket: 'b', Key: key },
    size,
    partSize: 5,
    partConcurrency: 4,
    readPart: async (offset, length) => Buffer.alloc(length, offset),
    ...(partSlots ? { partSlots } : {}),
  });
}

describe('parts in flight across multipart uploads', () => {
  it('holds every upload of a run to the shared part budget', async () => {
    const { client, seen } = fakeClient();
    const slots = new Semaphore(3);
    await Promise.all(['a', 'b', 'c'].map((k) => upload(client, k, slots)));
    expect(seen.parts).toBe(18);
    expect(seen.maxInFlight).toBe(3);
  });

  it('without a budget, each upload has its own partConcurrency', async () => {
    const { client, seen } = fakeClient();
    await Promise.all(['a', 'b', 'c'].map((k) => upload(client, k)));
    expect(seen.parts).toBe(18);
    expect(seen.maxInFlight).toBe(12);
  });

  it("the budget is PART_BUDGET, or one upload's partConcurrency when that is larger", () => {
    const base = { concurrency: 32, partConcurrency: 4, attempts: 4 } as Parameters<
      typeof runLimits
    >[0];
    expect(runLimits(base).partBudget).toBe(PART_BUDGET);
    expect(runLimits({ ...base, partConcurrency: 16 }).partBudget).toBe(16);
  });
});

describe('Semaphore', () => {
  it('serves waiters in order and ignores a second release', async () => {
    const s = new Semaphore(1);
    const order: string[] = [];
    const first = await s.acquire();
    const second = s.acquire().then((release) => {
      order.push('second');
      return release;
    });
    const third = s.acquire().then((release) => {
      order.push('third');
      release();
    });
    first();
    first(); // no second slot from a double release
    const releaseSecond = await second;
    await tick();
    expect(order).toEqual(['second']);
    releaseSecond();
    await third;
    expect(order).toEqual(['second', 'third']);
  });
});
