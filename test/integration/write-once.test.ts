/**
 * Write-once (`target.noOverwrite`), through the recording proxy: s3rver ignores
 * `If-None-Match`, so the proxy answers 412/409 the way S3 does.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { harnessPerTest } from '../support/harness.js';
import { s3Error, type ProxyOptions, type RecordedRequest } from '../support/recording-proxy.js';
import { b64, crc32cRaw } from '../support/checksums.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const MiB = 1024 * 1024;
const each = harnessPerTest();

const isSinglePut = (r: RecordedRequest) => r.method === 'PUT' && !r.query.has('partNumber');
const isCreate = (r: RecordedRequest) => r.method === 'POST' && r.query.has('uploads');
const isComplete = (r: RecordedRequest) => r.method === 'POST' && r.query.has('uploadId');
const isPart = (r: RecordedRequest) => r.method === 'PUT' && r.query.has('partNumber');
const BIG = '2026-11-24/big.wav';
const SMALL = '2026-11-24/a.wav';
const files = {
  [SMALL]: { content: 'local bytes', mtime: '2026-11-24T10:00:00Z' },
  [BIG]: { size: 6 * MiB + 1234, mtime: '2026-11-24T10:00:00Z' },
};

async function setup(job: Record<string, unknown> = {}, options: ProxyOptions = {}) {
  const { h, proxy } = await each.proxied(
    {
      files,
      job: { upload: { multipartThreshold: '5MiB', partSize: '5MiB' }, ...job },
      target: { noOverwrite: true },
    },
    options,
  );
  const putExisting = (key: string, body: string, metadata: Record<string, string>) =>
    h.client.client.send(
      new PutObjectCommand({ Bucket: h.bucket, Key: key, Body: body, Metadata: metadata }),
    );
  return { h, proxy, putExisting };
}

/** The store refuses every single PUT of `key`: an object is already there. */
const refusePut = (key: string): ProxyOptions => ({
  intercept: (r) =>
    isSinglePut(r) && r.path.endsWith(key)
      ? s3Error(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        )
      : undefined,
});

describe('write-once (noOverwrite)', () => {
  it('sends If-None-Match: * on PutObject and on Complete, not on Create', async () => {
    const { h, proxy } = await setup();
    expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
    expect(proxy.requests.find(isSinglePut)?.headers['if-none-match']).toBe('*');
    expect(proxy.requests.find(isComplete)?.headers['if-none-match']).toBe('*');
    expect(proxy.requests.find(isCreate)?.headers['if-none-match']).toBeUndefined();
  });

  it('a 412 for an object with the same size and checksum counts as present', async () => {
    const { h, putExisting } = await setup({}, refusePut(SMALL));
    await putExisting(SMALL, 'local bytes', {
      'checksum-crc32c': b64(crc32cRaw(Buffer.from('local bytes'))),
    });
    const run = await h.sync({ now: NOW }, { job: { remoteCheck: 'none' } });
    expect(run.stats.exitCode).toBe(0);
    expect(run.events.find((e) => e.path === SMALL)).toMatchObject({
      outcome: 'present',
      reason: 'already there (write-once: same size and CRC32C)',
    });
  });

  it('a 412 for another object of the same size is a conflict, reported on every run', async () => {
    const { h, putExisting } = await setup({}, refusePut(SMALL));
    await putExisting(SMALL, 'other bytes', {
      'checksum-crc32c': b64(crc32cRaw(Buffer.from('other bytes'))),
    });
    for (const remoteCheck of ['none', 'list']) {
      // the second run lists the partition: same key, same size — still never accepted
      const run = await h.sync({ now: NOW }, { job: { remoteCheck } });
      expect(run.stats.exitCode).toBe(1);
      const event = run.events.find((e) => e.path === SMALL);
      expect(event?.error?.code).toBe('E_OBJECT_CONFLICT');
      expect(event?.error?.message).toMatch(/already exists with CRC32C .* the local file has/);
    }
    const state = JSON.parse(await readFile(`${h.stateDir}/rec.state.json`, 'utf8'));
    expect(state.pending[SMALL]).toMatchObject({
      code: 'E_OBJECT_CONFLICT',
      mustUpload: { code: 'E_OBJECT_CONFLICT' },
    });
    expect((await h.client.get(h.bucket, SMALL)).toString()).toBe('other bytes');
  });

  it('a 409 on Complete starts a new multipart upload and sends every part again', async () => {
    let completes = 0;
    const { h, proxy } = await setup(
      {},
      {
        intercept: (r) =>
          isComplete(r) && ++completes === 1
            ? s3Error(409, 'ConditionalRequestConflict', 'A conflicting operation occurred')
            : undefined,
      },
    );
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(proxy.requests.filter(isCreate)).toHaveLength(2);
    expect(proxy.requests.filter(isPart)).toHaveLength(4);
    expect(await h.byteExact([BIG])).toBe(true);
  });

  it('remoteCheck none: multipart files are still checked with HEAD first', async () => {
    const { h, proxy } = await setup({ remoteCheck: 'none' });
    await h.client.put(h.bucket, BIG, h.tree.contentOf(BIG, files[BIG]));
    const run = await h.sync({ now: NOW });
    expect(run.events.find((e) => e.path === BIG)?.outcome).toBe('present');
    expect(proxy.requests.filter(isCreate)).toHaveLength(0);
    const heads = proxy.requests
      .filter((r) => r.method === 'HEAD' && r.path !== `/${h.bucket}/`)
      .map((r) => r.path);
    // the small file's conditional PUT needs no HEAD
    expect(heads).toEqual([`/${h.bucket}/${BIG}`]);
  });
});
