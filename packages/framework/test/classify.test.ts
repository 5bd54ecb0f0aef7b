import { describe, expect, it } from 'vitest';
import { classifyS3Error, isThrottling, retriedBySdk, targetError } from '../src/s3/classify.js';

const connection = {
  endpoint: { value: 'https://store.example', from: 'profile "dev"' },
  region: { value: 'us-east-1', from: 'default for a custom endpoint' },
};

describe('target error hints', () => {
  it('suggests forcePathStyle when the bucket name ended up in an unknown host name', () => {
    const error = Object.assign(new Error('getaddrinfo ENOTFOUND backups.store.example'), {
      code: 'ENOTFOUND',
      hostname: 'backups.store.example',
    });
    const e = targetError(error, { bucket: 'backups', action: 'checking the bucket', connection });
    expect(e).toMatchObject({ code: 'E_TARGET_UNREACHABLE', exitCode: 4 });
    expect(e.hint).toContain('forcePathStyle: true');
    expect(e.message).toContain('at https://store.example (from profile "dev")');
  });

  it('does not suggest forcePathStyle for an endpoint host that is itself unknown', () => {
    const error = Object.assign(new Error('getaddrinfo ENOTFOUND store.example'), {
      code: 'ENOTFOUND',
      hostname: 'store.example',
    });
    expect(
      targetError(error, { bucket: 'backups', action: 'listing', connection }).hint,
    ).not.toContain('forcePathStyle');
  });

  it('says a 500 is a server failure, not a missing region', () => {
    const error = Object.assign(new Error('We encountered an internal error.'), {
      name: 'InternalError',
      $metadata: { httpStatusCode: 500 },
    });
    const e = targetError(error, { bucket: 'b', action: 'checking the bucket', connection });
    expect(e.hint).not.toMatch(/region/);
    expect(e.hint).toContain('HTTP 500');
  });
});

describe('retry classification (the SDK’s own)', () => {
  const answer = (name: string, status: number, attempts?: number) =>
    Object.assign(new Error(name), {
      name,
      $metadata: { httpStatusCode: status, ...(attempts ? { attempts } : {}) },
    });

  it('retries throttling, transient and server errors; a 400 is the file’s', () => {
    expect(classifyS3Error(answer('SlowDown', 503)).kind).toBe('retryable');
    expect(classifyS3Error(answer('Unknown', 429)).kind).toBe('retryable');
    expect(classifyS3Error(answer('InternalError', 500)).kind).toBe('retryable');
    expect(classifyS3Error(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).kind).toBe(
      'retryable',
    );
    expect(classifyS3Error(answer('BadDigest', 400)).kind).toBe('retryable');
    expect(classifyS3Error(answer('InvalidArgument', 400)).kind).toBe('file');
    expect(isThrottling(answer('SlowDown', 503))).toBe(true);
    expect(isThrottling(answer('InternalError', 500))).toBe(false);
  });

  it('does not retry a file after the SDK retried the request, unless it must be resent', () => {
    expect(retriedBySdk(answer('InternalError', 500, 4))).toBe(true);
    expect(retriedBySdk(answer('InternalError', 500, 1))).toBe(false);
    expect(retriedBySdk(answer('InternalError', 500))).toBe(false); // a streamed PUT: one try
    expect(retriedBySdk(answer('NoSuchUpload', 404, 2))).toBe(false);
  });
});
