/**
 * Compliance settings, seen through the recording proxy (s3rver ignores Object Lock and SSE and
 * has no Object Lock configuration, so the proxy answers that call like a locked bucket):
 * retention from the partition date, mtime or upload time; refusal of an unlocked bucket;
 * encryption headers; the audit manifest under the state dir and in the bucket.
 */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { b64, crc32cRaw } from '../support/checksums.js';
import { type harness, harnessPerTest } from '../support/harness.js';
import { s3Error, type ProxyOptions, type RecordedRequest } from '../support/recording-proxy.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const each = harnessPerTest();

const isLockConfig = (r: RecordedRequest) => r.method === 'GET' && r.query.has('object-lock');
const lockedBucket: ProxyOptions = {
  intercept: (r) =>
    isLockConfig(r)
      ? {
          status: 200,
          body:
            '<?xml version="1.0" ' +
            'encoding="UTF-8"?><ObjectLockConfiguration>' +
            '<ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>',
        }
      : undefined,
};
const puts = (requests: RecordedRequest[]) =>
  requests.filter((r) => r.method === 'PUT' && !r.query.has('partNumber'));

async function setup(
  files: Parameters<typeof harness>[0]['files'],
  target: Record<string, unknown>,
  options: ProxyOptions = lockedBucket,
  job: Record<string, unknown> = {},
) {
  const { h, proxy } = await each.proxied({ files, job, target: target }, options);
  return { h, proxy };
}

describe('Object Lock', () => {
  const files = {
    '2026-11-24/a.wav': { content: 'a', mtime: '2026-11-24T10:00:00Z' },
    '2026-08-01/old.wav': { content: 'o', mtime: '2026-08-01T10:00:00Z' },
  };

  it(
    'retains each object until its partition date plus the retention; one already past goes ' +
      'without, counted in a warning',
    async () => {
      const { h, proxy } = await setup(files, {
        objectLock: { mode: 'COMPLIANCE', retain: '3mo', from: 'partition', legalHold: true },
      });
      const run = await h.sync({ now: NOW });
      expect(run.stats.exitCode).toBe(0);
      const byKey = Object.fromEntries(
        puts(proxy.requests).map((r) => [r.path.split('/').slice(2).join('/'), r.headers]),
      );
      expect(byKey['2026-11-24/a.wav']['x-amz-object-lock-mode']).toBe('COMPLIANCE');
      expect(byKey['2026-11-24/a.wav']['x-amz-object-lock-retain-until-date']).toBe(
        '2027-02-24T00:00:00Z',
      );
      expect(byKey['2026-11-24/a.wav']['x-amz-object-lock-legal-hold']).toBe('ON');
      // 2026-11-01 is past
      expect(byKey['2026-08-01/old.wav']['x-amz-object-lock-mode']).toBeUndefined();
      expect(run.warnings).toContain(
        '1 file(s) uploaded without Object Lock retention: their retain-until date had ' +
          'already passed',
      );
      expect(run.events.find((e) => e.path === '2026-11-24/a.wav')?.stored?.retainUntil).toBe(
        '2027-02-24T00:00:00.000Z',
      );
    },
  );

  it('counts from the mtime or the upload time when asked', async () => {
    const { h, proxy } = await setup(
      { '2026-11-24/a.wav': files['2026-11-24/a.wav'] },
      { objectLock: { mode: 'GOVERNANCE', retain: '90d', from: 'mtime' } },
    );
    await h.sync({ now: NOW });
    expect(puts(proxy.requests)[0].headers['x-amz-object-lock-retain-until-date']).toBe(
      '2027-02-22T10:00:00Z',
    );
    expect(puts(proxy.requests)[0].headers['x-amz-object-lock-mode']).toBe('GOVERNANCE');
  });

  it('refuses a bucket without Object Lock before any upload (exit 4)', async () => {
    const { h, proxy } = await setup(
      files,
      { objectLock: { mode: 'COMPLIANCE', retain: '7y' } },
      {
        intercept: (r) =>
          isLockConfig(r)
            ? s3Error(
                404,
                'ObjectLockConfigurationNotFoundError',
                'Object Lock configuration does not exist for this bucket',
              )
            : undefined,
      },
    );
    const error = await h.sync({ now: NOW }).catch((e) => e);
    expect(error).toMatchObject({ code: 'E_TARGET_BUCKET', exitCode: 4 });
    expect(error.message).toContain('does not have Object Lock enabled');
    expect(puts(proxy.requests)).toEqual([]);
  });

  it('checksum "none" with Object Lock is a config error', async () => {
    const { h } = await setup(files, {});
    const error = await h
      .makeJob({ target: { checksum: 'none', objectLock: { mode: 'COMPLIANCE', retain: '7y' } } })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'E_CONFIG_INVALID', exitCode: 2 });
    expect(error.message).toContain('S3 requires a checksum');
  });
});

describe('encryption', () => {
  it('sends SSE-KMS, key id and bucket key on PutObject and CreateMultipartUpload', async () => {
    const files = {
      '2026-11-24/a.wav': { content: 'a', mtime: '2026-11-24T10:00:00Z' },
      '2026-11-24/big.wav': { size: 6 * 1024 * 1024, mtime: '2026-11-24T10:00:00Z' },
    };
    const { h, proxy } = await setup(
      files,
      {
        sse: {
          type: 'aws:kms',
          keyId: 'arn:aws:kms:eu-west-1:111122223333:key/k',
          bucketKey: true,
        },
      },
      {},
      { upload: { multipartThreshold: '5MiB', partSize: '5MiB' } },
    );
    await h.sync({ now: NOW });
    const writes = proxy.requests.filter(
      (r) =>
        (r.method === 'PUT' && !r.query.has('partNumber')) ||
        (r.method === 'POST' && r.query.has('uploads')),
    );
    expect(writes).toHaveLength(2);
    for (const w of writes) {
      expect(w.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(w.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(
        'arn:aws:kms:eu-west-1:111122223333:key/k',
      );
      expect(w.headers['x-amz-server-side-encryption-bucket-key-enabled']).toBe('true');
    }
  });
});

describe('audit manifest', () => {
  it(
    'writes what the sync did as JSON lines under the state dir and, with a prefix, as one ' +
      'object in the bucket',
    async () => {
      const files = { '2026-11-24/a.wav': { content: 'abc', mtime: '2026-11-24T10:00:00Z' } };
      const { h } = await setup(
        files,
        { manifest: { prefix: '_recsync/manifests/', keep: 2 } },
        {},
      );
      await h.sync({ now: NOW });
      const dir = `${h.stateDir}/manifests/rec`;
      const [name] = await readdir(dir);
      const lines = (await readFile(`${dir}/${name}`, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ type: 'run', job: 'rec' });
      expect(lines[1]).toMatchObject({
        type: 'file',
        outcome: 'uploaded',
        key: '2026-11-24/a.wav',
        size: 3,
        mtime: '1795514400.000000000',
        checksum: {
          algorithm: 'CRC32C',
          value: b64(crc32cRaw(Buffer.from('abc'))),
          verifiedBy: 'none',
        },
        etag: expect.any(String),
      });
      expect(lines.at(-1)).toMatchObject({ type: 'done', exitCode: 0 });
      const stored = await h.client.get(h.bucket, `_recsync/manifests/rec/${name}`);
      expect(stored.toString()).toBe(await readFile(`${dir}/${name}`, 'utf8'));
      // retention: the newest `keep` manifests stay
      await h.sync({ now: new Date(NOW.getTime() + 1000) });
      await h.sync({ now: new Date(NOW.getTime() + 2000) });
      expect((await readdir(dir)).sort()).toEqual([
        '2026-11-25T12-00-01.000Z.jsonl',
        '2026-11-25T12-00-02.000Z.jsonl',
      ]);
      // the next run's listing of the partition does not see it
      expect(
        (await h.sync({ now: new Date(NOW.getTime() + 3000) })).events.every(
          (e) => !e.key.startsWith('_recsync'),
        ),
      ).toBe(true);
    },
  );
});
