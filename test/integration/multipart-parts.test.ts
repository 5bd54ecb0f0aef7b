/**
 * Multipart parts read into reused buffers: every part carries the checksum of its own bytes,
 * the last (shorter) part included, and the object arrives byte-exact, whether one part or
 * several are in flight.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { b64, crc32cRaw } from '../support/checksums.js';
import { harness } from '../support/harness.js';
import { startRecordingProxy } from '../support/recording-proxy.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const MiB = 1024 * 1024;
const KEY = '2026-11-24/big.wav';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('multipart parts', () => {
  for (const partConcurrency of [1, 2]) {
    it(`sends each part's bytes and checksum (${partConcurrency} at once)`, async () => {
      const content = randomBytes(17 * MiB + 12_345); // 4 parts of 5 MiB: the last one shorter
      const proxy = await startRecordingProxy(inject('s3Endpoint'));
      cleanup.push(proxy.close);
      const h = await harness({
        files: { [KEY]: { content, mtime: '2026-11-24T10:00:00Z' } },
        job: { upload: { multipartThreshold: '5MiB', partSize: '5MiB', partConcurrency } },
        target: { endpoint: proxy.endpoint },
      });
      cleanup.push(h.dispose);
      const run = await h.sync({ now: NOW });
      expect(run.uploadedKeys()).toEqual([KEY]);
      expect(await h.byteExact([KEY])).toBe(true);
      const parts = proxy.requests
        .filter((r) => r.method === 'PUT' && r.query.has('partNumber'))
        .sort((a, b) => Number(a.query.get('partNumber')) - Number(b.query.get('partNumber')));
      expect(parts.map((p) => p.bodyBytes)).toEqual([5 * MiB, 5 * MiB, 5 * MiB, 2 * MiB + 12_345]);
      for (const [i, part] of parts.entries()) {
        const bytes = content.subarray(i * 5 * MiB, Math.min((i + 1) * 5 * MiB, content.length));
        expect(part.headers['x-amz-checksum-crc32c']).toBe(b64(crc32cRaw(bytes)));
      }
    });
  }
});
