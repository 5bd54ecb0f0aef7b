import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checksumOfBuffer, compositeChecksum, digestOf, CHECKSUM_NAMES } from '../src/checksum.js';
import { judgeAnswer, ChecksumMismatch } from '../src/engine/integrity.js';
import { formatMtime, parseMtime, sameMtime } from '../src/s3/mtime.js';

const CHECK = Buffer.from('123456789');
const hex = (h: string) => Buffer.from(h, 'hex').toString('base64');

describe('checksums', () => {
  it('match the published check values of every algorithm', async () => {
    const expected = {
      CRC32C: hex('e3069283'),
      CRC32: hex('cbf43926'),
      CRC64NVME: hex('ae8b14860a799888'),
      SHA256: createHash('sha256').update(CHECK).digest('base64'),
      SHA1: createHash('sha1').update(CHECK).digest('base64'),
    };
    for (const name of CHECKSUM_NAMES)
      expect(await checksumOfBuffer(CHECK, name)).toBe(expected[name]);
  });

  it('computes S3 composite values: the checksum of the raw part checksums, then -N', async () => {
    const parts = [Buffer.from('abc'), Buffer.from('defg')];
    const raw = parts.map((p) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(zlib.crc32(p));
      return b;
    });
    const whole = Buffer.alloc(4);
    whole.writeUInt32BE(zlib.crc32(Buffer.concat(raw)));
    expect(
      await compositeChecksum('CRC32', await Promise.all(parts.map((p) => digestOf(p, 'CRC32')))),
    ).toBe(`${whole.toString('base64')}-2`);
  });
});

describe('judging a store answer', () => {
  const local = { algorithm: 'CRC32' as const, value: hex('cbf43926') };
  it('an echo of the whole-object value is store-verified; no answer is unverified', async () => {
    expect(await judgeAnswer('k', local, { algorithm: 'CRC32', value: local.value })).toBe('store');
    expect(await judgeAnswer('k', local, undefined)).toBe('none');
    expect(await judgeAnswer('k', undefined, { algorithm: 'CRC32', value: local.value })).toBe(
      'none',
    );
  });
  it(
    'a composite answer is compared with the composite of the local parts, never with the ' +
      'whole-file value',
    async () => {
      const partDigests = [
        await digestOf(Buffer.from('1234'), 'CRC32'),
        await digestOf(Buffer.from('56789'), 'CRC32'),
      ];
      const composite = await compositeChecksum('CRC32', partDigests);
      expect(
        await judgeAnswer(
          'k',
          { ...local, partDigests },
          { algorithm: 'CRC32', value: composite, type: 'COMPOSITE' },
        ),
      ).toBe('recsync');
      await expect(
        judgeAnswer(
          'k',
          { ...local, partDigests },
          { algorithm: 'CRC32', value: `${local.value}-2`, type: 'COMPOSITE' },
        ),
      ).rejects.toBeInstanceOf(ChecksumMismatch);
    },
  );
  it('a different whole-object value is a mismatch', async () => {
    await expect(
      judgeAnswer('k', local, { algorithm: 'CRC32', value: hex('00000000') }),
    ).rejects.toThrow(/reports CRC32 AAAAAA== for k/);
  });
});

describe('mtime metadata', () => {
  it("is written in rclone's format with nanoseconds", () => {
    expect(formatMtime(1_795_514_400_250_000_001n)).toBe('1795514400.250000001');
    expect(formatMtime(5n)).toBe('0.000000005');
    expect(parseMtime('1795514400.25')).toEqual({ ns: 1_795_514_400_250_000_000n, decimals: 2 });
    expect(parseMtime('soon')).toBeUndefined();
  });
  it('is compared at the precision it was stored with', () => {
    const ns = 1_795_514_400_250_400_123n;
    const ms = Number(ns) / 1e6;
    expect(sameMtime('1795514400.250', { ms, ns })).toBe(true); // written by an older release
    expect(sameMtime('1795514400.251', { ms, ns })).toBe(true); // its float rounding may be one off
    expect(sameMtime('1795514400.252', { ms, ns })).toBe(false);
    expect(sameMtime('1795514400.250400123', { ms, ns })).toBe(true);
    expect(sameMtime('1795514400.250400124', { ms, ns })).toBe(false);
    expect(sameMtime('1795514400.250400123', { ms })).toBe(true); // float stat: to a microsecond
    expect(sameMtime('1795514400.250402123', { ms })).toBe(false);
    expect(sameMtime(undefined, { ms })).toBe(true);
  });
});
