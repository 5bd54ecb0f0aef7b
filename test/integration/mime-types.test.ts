/**
 * `@recsync/plugin-mime-types` in a real sync: the Content-Type it sets reaches the store with
 * the upload (seen through a recording proxy: s3rver does not report it back).
 */
import { describe, expect, inject, it } from 'vitest';
import { mimeTypes } from '@recsync/plugin-mime-types';
import { harnessPerTest } from '../support/harness.js';
import { startRecordingProxy } from '../support/recording-proxy.js';

const { setup, defer } = harnessPerTest();

describe('mimeTypes() in a sync', () => {
  it('the type reaches the store with the upload', async () => {
    const proxy = await startRecordingProxy(inject('s3Endpoint'));
    defer(proxy.close);
    const h = await setup({
      files: { '2026-11-24/a.mp4': { content: 'v', mtime: '2026-11-24T10:00:00Z' } },
      target: { endpoint: proxy.endpoint },
      job: { plugins: [mimeTypes()] },
    });
    await h.sync({ now: new Date('2026-11-25T12:00:00Z') });
    expect(proxy.requests.find((r) => r.method === 'PUT')?.headers['content-type']).toBe(
      'video/mp4',
    );
  });
});
