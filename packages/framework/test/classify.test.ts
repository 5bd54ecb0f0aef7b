import { describe, expect, it } from 'vitest';
import { targetError } from '../src/s3/classify.js';

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
