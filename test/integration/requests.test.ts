/**
 * What recsync sends, seen through a recording proxy: checksums the store verifies, metadata,
 * no aws-chunked bodies, no writes from plan, and listings limited to the partitions a run needs.
 */
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { dayFiles, harness, harnessPerTest } from '../support/harness.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const each = harnessPerTest();

async function setup(
  files: Parameters<typeof harness>[0]['files'],
  extra: {
    job?: Record<string, unknown>;
    target?: Record<string, unknown>;
    strategy?: Record<string, unknown>;
  } = {},
) {
  const { h, proxy } = await each.proxied({
    files,
    ...extra,
    target: extra.target,
  });
  return { h, proxy };
}

const puts = (proxy: RecordingProxy) =>
  proxy.requests.filter((r) => r.method === 'PUT' && !r.query.has('partNumber'));

describe('requests recsync sends', () => {
  it(
    'sends a CRC32C the store verifies, the local mtime and size as metadata, and a plain ' +
      'body',
    async () => {
      const { h, proxy } = await setup(
        { '2026-11-24/known.wav': { content: '123456789', mtime: '2026-11-24T10:00:00.250Z' } },
        { target: { storageClass: 'STANDARD_IA' } },
      );
      await h.sync({ now: NOW });
      const [put] = puts(proxy);
      expect(put.path).toBe(`/${h.bucket}/2026-11-24/known.wav`);
      // CRC32C("123456789") = 0xE3069283
      expect(put.headers['x-amz-checksum-crc32c']).toBe('4waSgw==');
      // S3 wants it with Object Lock
      expect(put.headers['x-amz-sdk-checksum-algorithm']).toBe('CRC32C');
      // rclone's format, full precision
      expect(put.headers['x-amz-meta-mtime']).toBe('1795514400.250000000');
      expect(put.headers['x-amz-meta-checksum-crc32c']).toBe('4waSgw==');
      expect(put.headers['x-amz-meta-size']).toBe('9');
      expect(put.headers['x-amz-storage-class']).toBe('STANDARD_IA');
      expect(put.headers['content-length']).toBe('9');
      expect(put.headers['content-encoding'] ?? '').not.toContain('aws-chunked');
      expect(put.headers['x-amz-content-sha256']).not.toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
      expect(put.bodyBytes).toBe(9);
    },
  );

  it('asks for a full-object CRC32C on multipart uploads, a checksum on every part', async () => {
    const { h, proxy } = await setup(
      { '2026-11-24/big.wav': { size: 11 * 1024 * 1024, mtime: '2026-11-24T10:00:00Z' } },
      { job: { upload: { multipartThreshold: '5MiB', partSize: '5MiB' } } },
    );
    await h.sync({ now: NOW });
    const create = proxy.requests.find((r) => r.method === 'POST' && r.query.has('uploads'));
    expect(create?.headers['x-amz-checksum-algorithm']).toBe('CRC32C');
    expect(create?.headers['x-amz-checksum-type']).toBe('FULL_OBJECT');
    const parts = proxy.requests.filter((r) => r.method === 'PUT' && r.query.has('partNumber'));
    expect(parts).toHaveLength(3);
    for (const part of parts)
      expect(part.headers['x-amz-checksum-crc32c']).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    expect(await h.byteExact(['2026-11-24/big.wav'])).toBe(true);
  });

  it('sends no checksum header when checksums are off (for stores that reject them)', async () => {
    const { h, proxy } = await setup(
      { '2026-11-24/a.wav': { content: 'abc', mtime: '2026-11-24T10:00:00Z' } },
      { target: { checksum: 'none' } },
    );
    await h.sync({ now: NOW });
    expect(
      Object.keys(puts(proxy)[0].headers).filter((k) => k.startsWith('x-amz-checksum')),
    ).toEqual([]);
  });

  it('plan only reads: no PUT, POST or DELETE', async () => {
    const { h, proxy } = await setup({
      ...dayFiles('2026-11-23', 3),
      ...dayFiles('2026-11-24', 3),
    });
    await h.plan({ now: NOW });
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(proxy.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
  });

  it(
    'a run after a completed one lists only the look-back partitions (and none for a day ' +
      'with no folder)',
    async () => {
      const { h, proxy } = await setup(
        {
          ...dayFiles('2026-11-20', 2),
          ...dayFiles('2026-11-21', 2),
          ...dayFiles('2026-11-22', 2),
          ...dayFiles('2026-11-23', 2),
          ...dayFiles('2026-11-24', 2),
        },
        { strategy: { lookback: 2 } },
      );
      await h.sync({ now: NOW });
      proxy.requests.length = 0;
      const second = await h.sync({ now: new Date('2026-11-25T13:00:00Z') });
      expect(second.uploadedKeys()).toEqual([]);
      const listed = proxy.requests
        .filter((r) => r.method === 'GET' && r.query.get('list-type') === '2')
        .map((r) => r.query.get('prefix'));
      // the preflight lists the target prefix with max-keys=1; then 2026-11-23 and 2026-11-24
      // (look-back)
      expect(listed.filter((p) => p !== '').sort()).toEqual(['2026-11-23/', '2026-11-24/']);
    },
  );

  it('a 413 or a non-S3 answer is reported as what came back, not an XML parse error', async () => {
    const html =
      '<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 ' +
      'Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>';
    const answers = [
      { status: 413, headers: { 'content-type': 'text/html' }, body: html },
      { status: 502, headers: { 'content-type': 'text/plain' }, body: 'upstream gone' },
    ];
    const expected = [
      new RegExp(
        'HTTP 413 Payload Too Large with an HTML page ' +
          String.raw`\("413 Request Entity Too Large 413 Request Entity Too Large nginx"\) ` +
          'instead of an S3 answer: ' +
          String.raw`.*lower upload\.partSize`,
      ),
      new RegExp(
        'HTTP 502 Bad Gateway with ' +
          String.raw`(a body that is not an S3 error \("upstream gone"\)|no S3 error document) ` +
          'instead of an S3 answer',
      ),
    ];
    for (const [i, answer] of answers.entries()) {
      const proxy = await startRecordingProxy(inject('s3Endpoint'), {
        intercept: (r) => (r.method === 'PUT' ? answer : undefined),
      });
      const h = await harness({
        files: { '2026-11-24/a.wav': { content: 'v', mtime: '2026-11-24T10:00:00Z' } },
        target: { endpoint: proxy.endpoint },
        job: { upload: { attempts: 1 } },
      });
      each.defer(proxy.close, h.dispose);
      const run = await h.sync({ now: NOW });
      expect(run.events[0].error?.message).toMatch(expected[i]);
      expect(run.events[0].error?.message).not.toMatch(/XML parse error|Deserialization/);
    }
  });
});
