import { describe, expect, it } from 'vitest';
import { createHooks, type CandidateFile } from '@recsync/framework';
import { mimeTypes } from '../src/index.js';

const file = (path: string): CandidateFile => ({ path, size: 1, mtimeMs: 0 });

async function typeFor(path: string, options?: Parameters<typeof mimeTypes>[0], preset?: string) {
  const hooks = createHooks();
  mimeTypes(options).apply(hooks, { job: 'j', source: '/s', mode: 'sync' });
  const input = await hooks.beforeUpload.promise(
    { Bucket: 'b', Key: path, ...(preset ? { ContentType: preset } : {}) },
    file(path),
  );
  return input.ContentType;
}

describe('mimeTypes()', () => {
  it(
    'sets Content-Type from the extension, case-insensitively; unknown extensions are left ' +
      'to the store',
    async () => {
      expect(await typeFor('2026-11-24/call.WAV')).toMatch(/^audio\/(x-)?wav$/);
      expect(await typeFor('clips/a.mp4')).toBe('video/mp4');
      expect(await typeFor('notes/readme')).toBeUndefined();
      expect(await typeFor('x.unknownext')).toBeUndefined();
    },
  );

  it('takes extra types and a fallback, and keeps a type set by an earlier plugin', async () => {
    expect(await typeFor('a.opus', { types: { '.opus': 'audio/ogg' } })).toBe('audio/ogg');
    expect(await typeFor('a.bin2', { fallback: 'application/octet-stream' })).toBe(
      'application/octet-stream',
    );
    expect(await typeFor('a.mp4', {}, 'video/quicktime')).toBe('video/quicktime');
    expect(() => mimeTypes({ types: { '.opus': 'not a type' } })).toThrow(
      /expected a type such as "audio\/ogg"/,
    );
  });
});
