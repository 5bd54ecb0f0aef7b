/**
 * Integrity end to end, seen through the recording proxy (s3rver neither checks nor returns
 * checksums, so the proxy plays the stricter store: it echoes or rewrites checksum answers the
 * way S3 and S3-compatible stores do).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { fixtureBytes } from '@recsync/framework/testing';
import { type harness, harnessPerTest } from '../support/harness.js';
import type { ProxyOptions, RecordedRequest } from '../support/recording-proxy.js';
import { b64, composite, crc32Raw, crc32cRaw, sha256Raw } from '../support/checksums.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const MiB = 1024 * 1024;
const each = harnessPerTest();

async function setup(
  files: Parameters<typeof harness>[0]['files'],
  extra: { job?: Record<string, unknown>; target?: Record<string, unknown> } = {},
  options: ProxyOptions = {},
) {
  const { h, proxy } = await each.proxied(
    {
      files,
      ...extra,
      target: extra.target,
    },
    options,
  );
  return { h, proxy };
}

const isComplete = (r: RecordedRequest) => r.method === 'POST' && r.query.has('uploadId');
const isCreate = (r: RecordedRequest) => r.method === 'POST' && r.query.has('uploads');
const isSinglePut = (r: RecordedRequest) => r.method === 'PUT' && !r.query.has('partNumber');
const MULTIPART = { upload: { multipartThreshold: '5MiB', partSize: '5MiB' } };
const BIG = '2026-11-24/big.wav';
const bigFiles = { [BIG]: { size: 6 * MiB + 1234, mtime: '2026-11-24T10:00:00Z' } };

/**
 * Adds checksum fields to a CompleteMultipartUpload answer, as a store that keeps checksums does.
 */
function completeAnswer(fields: Record<string, string>): ProxyOptions['rewrite'] {
  return (req, answer) => {
    if (!isComplete(req) || answer.status !== 200) return undefined;
    const extra = Object.entries(fields)
      .map(([k, v]) => `<${k}>${v}</${k}>`)
      .join('');
    return {
      status: 200,
      body: answer.body
        .toString()
        .replace('</CompleteMultipartUploadResult>', `${extra}</CompleteMultipartUploadResult>`),
    };
  };
}

describe('integrity', () => {
  it(
    'multipart: the whole-file CRC32C goes in the metadata at Create and on Complete as ' +
      'FULL_OBJECT',
    async () => {
      const { h, proxy } = await setup(bigFiles, { job: MULTIPART });
      const data = h.tree.contentOf(BIG, bigFiles[BIG]);
      const result = await h.sync({ now: NOW });
      expect(result.stats.exitCode).toBe(0);
      const create = proxy.requests.find(isCreate)!;
      const complete = proxy.requests.find(isComplete)!;
      expect(create.headers['x-amz-meta-checksum-crc32c']).toBe(b64(crc32cRaw(data)));
      expect(complete.headers['x-amz-checksum-crc32c']).toBe(b64(crc32cRaw(data)));
      expect(complete.headers['x-amz-checksum-type']).toBe('FULL_OBJECT');
      const parts = proxy.requests
        .filter((r) => r.query.has('partNumber'))
        .sort((a, b) => Number(a.query.get('partNumber')) - Number(b.query.get('partNumber')));
      expect(parts.map((p) => p.headers['x-amz-checksum-crc32c'])).toEqual(
        [0, 1].map((i) => b64(crc32cRaw(data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB)))),
      );
      expect(await h.byteExact([BIG])).toBe(true);
      // s3rver returns no checksum: the summary says so instead of claiming a verification
      expect(result.stats.verification).toEqual({ store: 0, recsync: 0, unverified: 1 });
      expect(result.events[0].stored?.checksum).toMatchObject({
        algorithm: 'CRC32C',
        verifiedBy: 'none',
      });
    },
  );

  it('a store that echoes the whole-object value confirms it; the summary counts it', async () => {
    const files = {
      '2026-11-24/a.wav': { content: '123456789', mtime: '2026-11-24T10:00:00Z' },
      ...bigFiles,
    };
    const data = h0(files);
    const { h } = await setup(
      files,
      { job: MULTIPART },
      {
        rewrite: (req, answer) => {
          if (isSinglePut(req) && answer.status === 200)
            return {
              status: 200,
              headers: {
                ...(answer.headers as Record<string, string>),
                'x-amz-checksum-crc32c': String(req.headers['x-amz-checksum-crc32c']),
              },
            };
          return completeAnswer({
            ChecksumCRC32C: b64(crc32cRaw(data)),
            ChecksumType: 'FULL_OBJECT',
          })!(req, answer);
        },
      },
    );
    const result = await h.sync({ now: NOW });
    expect(result.stats.verification).toEqual({ store: 2, recsync: 0, unverified: 0 });
  });

  it(
    'a COMPOSITE CRC32 answer is compared with the composite of the parts: a correct upload ' +
      'is accepted once',
    async () => {
      const data = h0(bigFiles);
      const { h, proxy } = await setup(
        bigFiles,
        { job: MULTIPART, target: { checksum: 'CRC32' } },
        {
          rewrite: completeAnswer({
            ChecksumCRC32: composite(data, 5 * MiB, crc32Raw),
            ChecksumType: 'COMPOSITE',
          }),
        },
      );
      const result = await h.sync({ now: NOW });
      expect(result.stats.exitCode).toBe(0);
      expect(proxy.requests.filter(isCreate)).toHaveLength(1); // no retries: 11 MiB sent once
      expect(result.stats.verification).toEqual({ store: 0, recsync: 1, unverified: 0 });
    },
  );

  it(
    'a checksum failure keeps the file pending with its own code, and a later run never ' +
      'forgives it',
    async () => {
      const { h, proxy } = await setup(
        bigFiles,
        {
          job: { ...MULTIPART, upload: { ...MULTIPART.upload, attempts: 2 } },
          target: { checksum: 'CRC32' },
        },
        {
          rewrite: completeAnswer({ ChecksumCRC32: 'AAAAAA==-2', ChecksumType: 'COMPOSITE' }),
        },
      );
      const first = await h.sync({ now: NOW });
      expect(first.stats.exitCode).toBe(1);
      expect(first.events.find((e) => e.path === BIG)?.error?.code).toBe('E_CHECKSUM_MISMATCH');
      const state = JSON.parse(await readFile(`${h.stateDir}/rec.state.json`, 'utf8'));
      expect(state.pending[BIG]).toMatchObject({
        reason: 'failed',
        code: 'E_CHECKSUM_MISMATCH',
        mustUpload: { code: 'E_CHECKSUM_MISMATCH' },
      });
      // the object is in the bucket with the right size: a listing alone would call it present
      expect((await h.client.head(h.bucket, BIG)).size).toBe(6 * MiB + 1234);
      proxy.options = {};
      proxy.requests.length = 0;
      const second = await h.sync({ now: NOW });
      expect(second.uploadedKeys()).toEqual([BIG]);
      expect(second.stats.exitCode).toBe(0);
      expect(second.stats.pending).toBe(0);
    },
  );

  it('SHA256: composite per part on multipart, the whole-file value in metadata only', async () => {
    const data = h0(bigFiles);
    const { h, proxy } = await setup(bigFiles, { job: MULTIPART, target: { checksum: 'SHA256' } });
    expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
    const create = proxy.requests.find(isCreate)!;
    expect(create.headers['x-amz-checksum-algorithm']).toBe('SHA256');
    expect(create.headers['x-amz-checksum-type']).toBe('COMPOSITE');
    expect(create.headers['x-amz-meta-checksum-sha256']).toBe(b64(sha256Raw(data)));
    expect(proxy.requests.find(isComplete)!.headers['x-amz-checksum-sha256']).toBeUndefined();
    expect((await h.client.head(h.bucket, BIG)).metadata['checksum-sha256']).toBe(
      b64(sha256Raw(data)),
    );
  });

  it('CRC64NVME and SHA1 single PUTs carry their checksum header and metadata', async () => {
    for (const checksum of ['CRC64NVME', 'SHA1'] as const) {
      const { h, proxy } = await setup(
        { '2026-11-24/a.wav': { content: '123456789', mtime: '2026-11-24T10:00:00Z' } },
        { target: { checksum } },
      );
      await h.sync({ now: NOW });
      const put = proxy.requests.find(isSinglePut)!;
      const expected =
        checksum === 'CRC64NVME'
          ? Buffer.from('ae8b14860a799888', 'hex').toString('base64')
          : createHash('sha1').update('123456789').digest('base64');
      expect(put.headers[`x-amz-checksum-${checksum.toLowerCase()}`]).toBe(expected);
      expect(put.headers[`x-amz-meta-checksum-${checksum.toLowerCase()}`]).toBe(expected);
    }
  });

  it(
    'the head check compares mtime at the precision it was stored with: old 3-decimal ' +
      'objects are not uploaded again',
    async () => {
      const files = {
        '2026-11-24/old.wav': { content: 'aaa', mtime: '2026-11-24T10:00:00.250Z' },
        '2026-11-24/new.wav': { content: 'bbb', mtime: '2026-11-24T10:00:00.250Z' },
        '2026-11-24/edited.wav': { content: 'ccc', mtime: '2026-11-24T10:00:00.250Z' },
      };
      const { h } = await setup(files, { job: { remoteCheck: 'head' } });
      const put = (key: string, mtime: string) =>
        h.client.client.send(
          new PutObjectCommand({
            Bucket: h.bucket,
            Key: key,
            Body: 'xxx',
            Metadata: { mtime, size: '3' },
          }),
        );
      await put('2026-11-24/old.wav', '1795514400.250'); // written by an earlier release
      await put('2026-11-24/new.wav', '1795514400.250000000');
      await put('2026-11-24/edited.wav', '1795514400.251000000'); // same size, another mtime
      const run = await h.sync({ now: NOW });
      expect(run.uploadedKeys()).toEqual(['2026-11-24/edited.wav']);
    },
  );
});

/** The bytes of the big fixture file. */
function h0(files: Record<string, { size?: number; content?: string }>): Buffer {
  return fixtureBytes(BIG, files[BIG].size!);
}
