/**
 * How request bodies are signed, seen through a recording proxy: over https a PutObject or
 * UploadPart protected by a checksum header goes out `UNSIGNED-PAYLOAD` (as aws-cli sends it),
 * over plain http its SHA-256 stays signed, and the objects arrive byte-exact either way.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { harness } from '../support/harness.js';
import { startTlsFront } from '../support/network.js';
import { startRecordingProxy, type RecordedRequest } from '../support/recording-proxy.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const SMALL = '2026-11-24/small.wav';
const BIG = '2026-11-24/big.wav';
const SHA256_HEX = /^[0-9a-f]{64}$/;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function syncThrough(scheme: 'http' | 'https', target: Record<string, unknown> = {}) {
  const proxy = await startRecordingProxy(inject('s3Endpoint'));
  cleanup.push(proxy.close);
  let endpoint = proxy.endpoint;
  if (scheme === 'https') {
    const front = await startTlsFront(proxy.endpoint);
    cleanup.push(front.close);
    endpoint = front.endpoint;
    target = { caBundle: front.caFile, ...target };
  }
  const h = await harness({
    files: {
      [SMALL]: { content: 'small body', mtime: '2026-11-24T10:00:00Z' },
      [BIG]: { size: 11 * 1024 * 1024, mtime: '2026-11-24T10:00:00Z' },
    },
    job: { upload: { multipartThreshold: '5MiB', partSize: '5MiB' } },
    target: { endpoint, ...target },
  });
  cleanup.push(h.dispose);
  const result = await h.sync({ now: NOW });
  expect(result.uploadedKeys()).toEqual([BIG, SMALL]);
  expect(await h.byteExact([SMALL, BIG])).toBe(true);
  const put = proxy.requests.find((r) => r.method === 'PUT' && r.path.endsWith(SMALL));
  const parts = proxy.requests.filter((r) => r.method === 'PUT' && r.query.has('partNumber'));
  const complete = proxy.requests.find((r) => r.method === 'POST' && r.query.has('uploadId'));
  expect(put).toBeDefined();
  expect(parts).toHaveLength(3);
  expect(complete).toBeDefined();
  return { put: put as RecordedRequest, parts, complete: complete as RecordedRequest };
}

const payloadHash = (r: RecordedRequest) => r.headers['x-amz-content-sha256'];

describe('payload signing', () => {
  it('over https, sends checksummed bodies UNSIGNED-PAYLOAD (a checksum guards them)', async () => {
    const { put, parts, complete } = await syncThrough('https');
    expect(put.headers['x-amz-checksum-crc32c']).toBeDefined();
    expect(payloadHash(put)).toBe('UNSIGNED-PAYLOAD');
    for (const part of parts) {
      expect(part.headers['x-amz-checksum-crc32c']).toMatch(/^[A-Za-z0-9+/]{6}==$/);
      expect(payloadHash(part)).toBe('UNSIGNED-PAYLOAD');
    }
    // Complete's checksum header is the object's, not its XML body's: that body stays signed.
    expect(payloadHash(complete)).toMatch(SHA256_HEX);
  });

  it('over https without checksums, and over http, keeps the payload hash signed', async () => {
    const none = await syncThrough('https', { checksum: 'none' });
    expect(none.put.headers['x-amz-checksum-crc32c']).toBeUndefined();
    expect(payloadHash(none.put)).toMatch(SHA256_HEX);
    for (const part of none.parts) expect(payloadHash(part)).toMatch(SHA256_HEX);

    const plain = await syncThrough('http');
    expect(plain.put.headers['x-amz-checksum-crc32c']).toBeDefined();
    expect(payloadHash(plain.put)).toMatch(SHA256_HEX);
    for (const part of plain.parts) expect(payloadHash(part)).toMatch(SHA256_HEX);
  });
});
