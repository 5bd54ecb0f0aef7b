/**
 * Against a second, stricter S3-compatible server (fauxqs, see test/support/fauxqs.ts): it
 * keeps CRC32/SHA256 checksums, answers COMPOSITE for multipart uploads and implements
 * AbortMultipartUpload — what s3rver cannot show. Checked with an independent CRC32 (node:zlib)
 * and the server's own HeadObject with checksum mode, not with recsync's code.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBytes } from '@recsync/framework/testing';
import { startFauxqs, fauxqsInstalled, type Fauxqs } from '../support/fauxqs.js';
import { harness } from '../support/harness.js';
import { b64, composite, crc32Raw, sha256Raw } from '../support/checksums.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const MiB = 1024 * 1024;
const BIG = '2026-11-24/big.wav';
const SMALL = '2026-11-24/small.wav';
// parts of 5 MiB (two per big file): fauxqs refuses request bodies over 11 MiB
const files = {
  [BIG]: { size: 6 * MiB + 1234, mtime: '2026-11-24T10:00:00Z' },
  [SMALL]: { size: 200 * 1024, mtime: '2026-11-24T10:00:00Z' },
};
const MULTIPART = { upload: { multipartThreshold: '5MiB', partSize: '5MiB' } };

if (!fauxqsInstalled)
  console.warn(
    'fauxqs is not installed (node test/servers/install.mjs): skipping the fauxqs tests',
  );

describe.skipIf(!fauxqsInstalled)('on fauxqs', () => {
  let server: Fauxqs;
  beforeAll(async () => {
    server = await startFauxqs();
  });
  afterAll(async () => server?.stop());

  async function setup(target: Record<string, unknown>) {
    const h = await harness({
      files,
      endpoint: server.endpoint,
      job: MULTIPART,
      target: { endpoint: server.endpoint, ...target },
    });
    const head = async (key: string) =>
      h.client.client.send(
        new HeadObjectCommand({ Bucket: h.bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
    return { h, head };
  }

  it(
    'CRC32: a COMPOSITE answer for the multipart object is compared like with like and ' +
      'accepted at once',
    async () => {
      const { h, head } = await setup({ checksum: 'CRC32' });
      try {
        const run = await h.sync({ now: NOW });
        expect(run.stats.exitCode).toBe(0);
        expect(run.events.map((e) => e.attempts)).toEqual([1, 1]); // no rejected correct uploads
        expect(run.stats.verification).toEqual({ store: 1, recsync: 1, unverified: 0 });
        const big = fixtureBytes(BIG, 6 * MiB + 1234);
        const stored = await head(BIG);
        expect(stored.ChecksumType).toBe('COMPOSITE');
        expect(stored.ChecksumCRC32).toBe(composite(big, 5 * MiB, crc32Raw));
        expect(stored.Metadata?.['checksum-crc32']).toBe(b64(crc32Raw(big)));
        expect((await head(SMALL)).ChecksumCRC32).toBe(
          b64(crc32Raw(fixtureBytes(SMALL, 200 * 1024))),
        );
        expect(await h.byteExact([BIG, SMALL])).toBe(true);
        // a second run: both present, nothing sent again
        expect((await h.sync({ now: NOW })).uploadedKeys()).toEqual([]);
      } finally {
        await h.dispose();
      }
    },
  );

  it(
    'SHA256: composite on multipart, compared by recsync; the whole-file value is in the ' +
      'metadata',
    async () => {
      const { h, head } = await setup({ checksum: 'SHA256' });
      try {
        const run = await h.sync({ now: NOW });
        expect(run.stats.exitCode).toBe(0);
        expect(run.events.find((e) => e.path === BIG)?.stored?.checksum?.verifiedBy).toBe(
          'recsync',
        );
        expect((await head(BIG)).Metadata?.['checksum-sha256']).toBe(
          b64(sha256Raw(fixtureBytes(BIG, 6 * MiB + 1234))),
        );
      } finally {
        await h.dispose();
      }
    },
  );

  it('CRC32C, which fauxqs does not keep: uploaded byte-exact, counted unverified', async () => {
    const { h } = await setup({});
    try {
      const run = await h.sync({ now: NOW });
      expect(run.stats.verification).toEqual({ store: 0, recsync: 0, unverified: 2 });
      expect(await h.byteExact([BIG, SMALL])).toBe(true);
    } finally {
      await h.dispose();
    }
  });
});
