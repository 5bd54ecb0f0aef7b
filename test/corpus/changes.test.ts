/**
 * Bad-input corpus: files that change while recsync reads them. A file is never recorded as
 * uploaded with bytes it no longer has: it is deferred and uploaded again by a later run, and
 * every case ends with the file's final bytes in the bucket.
 */
import { appendFile, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { definePlugin, type Plugin } from '@recsync/framework';
import { harness, harnessPerTest } from '../support/harness.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const LATER = new Date('2026-11-26T12:00:00Z');
const KEY = '2026-11-24/call.wav';

const each = harnessPerTest();

/** Runs `change` on the file once, while its upload is under way (between open and PUT). */
function during(change: (file: string) => Promise<void>, file: () => string): Plugin {
  let done = false;
  return definePlugin({
    name: 'test:change-during-upload',
    apply(hooks) {
      hooks.beforeUpload.tapPromise('test', async (input) => {
        if (!done) {
          done = true;
          await change(file());
        }
        return input;
      });
    },
  });
}

const CASES: [string, (file: string) => Promise<void>, 'deferred' | 'uploaded' | 'vanished'][] = [
  ['grows (still being recorded)', (f) => appendFile(f, 'more audio'), 'deferred'],
  ['shrinks', (f) => truncate(f, 10), 'deferred'],
  ['is truncated to zero bytes', (f) => truncate(f, 0), 'deferred'],
  [
    'is rewritten in place with the same size',
    async (f) => writeFile(f, Buffer.alloc((await readFile(f)).length, 0x41)),
    'deferred',
  ],
  [
    'is replaced by a rename with the same size',
    async (f) => {
      const size = (await readFile(f)).length;
      await writeFile(`${f}.new`, Buffer.alloc(size, 0x42));
      await rename(`${f}.new`, f);
    },
    'deferred',
  ],
  ['is deleted (the open file is still read whole)', (f) => rm(f), 'uploaded'],
];

describe('files changing during their upload', () => {
  it.each(CASES)(
    'a file that %s ends in the bucket with its final bytes',
    async (_what, change, outcome) => {
      // settle 0: the changed file's mtime is the real clock's, later than the pinned one
      const h = await harness({
        files: { [KEY]: { size: 5000, mtime: '2026-11-24T10:00:00Z' } },
        job: { filters: { settle: '0s' } },
      });
      each.defer(h.dispose);
      const file = path.join(h.tree.root, KEY);
      const first = await h.sync({ now: NOW, plugins: [during(change, () => file)] });
      const event = first.events.find((e) => e.path === KEY)!;
      expect(event.outcome).toBe(outcome);
      expect(first.stats.exitCode).toBe(0);
      const final = await readFile(file).catch(() => undefined);
      if (outcome === 'deferred') {
        expect(event.reason).toMatch(
          /changed while it was uploaded|replaced by another file|shrank/,
        );
        const second = await h.sync({ now: LATER });
        expect(second.stats.exitCode).toBe(0);
        expect(second.uploadedKeys()).toEqual([KEY]);
      }
      if (final) expect(Buffer.compare(await h.client.get(h.bucket, KEY), final)).toBe(0);
      else expect((await h.client.get(h.bucket, KEY)).length).toBe(5000);
    },
  );

  it('a file that vanishes before it is opened is reported vanished, warned, exit 0', async () => {
    const h = await harness({
      files: {
        [KEY]: { size: 100, mtime: '2026-11-24T10:00:00Z' },
        '2026-11-24/other.wav': { size: 10, mtime: '2026-11-24T10:00:00Z' },
      },
    });
    each.defer(h.dispose);
    const file = path.join(h.tree.root, KEY);
    const gone = definePlugin({
      name: 'gone',
      apply: (hooks) =>
        hooks.filter.tapPromise('gone', async (f) => void (f.path === KEY && (await rm(file)))),
    });
    const run = await h.sync({ now: NOW, plugins: [gone] });
    expect(run.events.find((e) => e.path === KEY)?.outcome).toBe('vanished');
    expect(run.stats.exitCode).toBe(0);
    expect(await h.keys()).toEqual(['2026-11-24/other.wav']);
  });
});
