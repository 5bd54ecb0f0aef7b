/**
 * The journal strategy through the real engine, against the local S3 server.
 */
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '@recsync/framework';
import { appendToJournal } from '../src/index.js';
import { appendLines } from './helpers.js';
import { journalJob } from './engine.js';

const DAY = 86_400_000;
const calls = (day: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${day}/call-${i}.wav`);

let disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const d of disposers) await d();
  disposers = [];
});

async function setup(options: Parameters<typeof journalJob>[0]) {
  const j = await journalJob(options);
  disposers.push(j.dispose);
  return j;
}

describe('sync with a journal', () => {
  it('uploads exactly the journal entries, byte-exact, then only what was appended', async () => {
    const first = [...calls('2026-11-24', 3), ...calls('2026-11-25', 2)];
    const j = await setup({
      files: [...first, 'never-listed.wav', 'late.wav'],
      strategy: { linesPerPartition: 2 },
    });
    await appendLines(j.journal, first);
    const one = await j.sync();
    expect(one.stats.exitCode).toBe(0);
    expect(one.uploaded()).toEqual([...first].sort());
    expect(await j.keys()).toEqual([...first].sort());
    expect(await j.byteExact(first)).toBe(true);
    expect((await j.state()).cursor).toMatchObject({ file: 'written.log', line: 5 });

    const idle = await j.sync();
    expect(idle.events).toEqual([]);
    expect(idle.stats.partitions.total).toBe(0);

    await appendToJournal(j.journal, ['late.wav'], { source: j.source, cwd: j.source });
    const two = await j.sync();
    expect(two.uploaded()).toEqual(['late.wav']);
    expect((await j.state()).cursor).toMatchObject({ line: 6 });
  });

  it('uploads a repeated entry once per run', async () => {
    const j = await setup({ files: ['a.wav', 'b.wav'] });
    await appendLines(j.journal, ['a.wav', 'b.wav', 'a.wav', `${j.source}/a.wav`]);
    const run = await j.sync();
    expect(run.events.map((e) => e.key).sort()).toEqual(['a.wav', 'b.wav']);
  });

  it(
    'refuses lines that leave the source as errors naming the journal line (exit 1), and ' +
      'syncs the rest',
    async () => {
      const j = await setup({ files: ['ok.wav'] });
      await appendLines(j.journal, ['../../etc/passwd', '/etc/passwd', 'ok.wav']);
      await appendFile(j.journal, Buffer.from([0xff, 0xfe, 0x0a]));
      const run = await j.sync();
      expect(run.stats.exitCode).toBe(1);
      expect(run.uploaded()).toEqual(['ok.wav']);
      const messages = run.warnings.map((w) => `${w.code} ${w.message}`);
      expect(messages).toContain(
        `E_FILE_OUTSIDE_ROOT refused ../../etc/passwd: has a ".." segment (${j.journal}:1)`,
      );
      expect(messages).toContain(
        `E_FILE_OUTSIDE_ROOT refused /etc/passwd: is outside the source ${j.source} ` +
          `(${j.journal}:2)`,
      );
      expect(messages).toContain(
        `E_FILE_BAD_PATH refused an entry: line is not valid UTF-8 (${j.journal}:4)`,
      );
      expect(await j.keys()).toEqual(['ok.wav']);
      // Refused lines have a final outcome: the cursor is past them and the next run does not
      // repeat
      // them.
      expect((await j.state()).cursor).toMatchObject({ line: 4 });
      expect((await j.sync()).stats.exitCode).toBe(0);
    },
  );

  it(
    'keeps an entry naming a missing file pending, uploads it when it appears, and reports ' +
      'it missing after the timeout',
    async () => {
      const j = await setup({ files: ['here.wav'], strategy: { missingTimeout: '1d' } });
      await appendLines(j.journal, ['here.wav', 'soon.wav', 'never.wav']);
      const now = new Date();
      const one = await j.sync({ now });
      expect(one.stats.exitCode).toBe(0);
      expect(
        one.events.filter((e) => e.outcome === 'deferred').map((e) => [e.path, e.reason]),
      ).toEqual(
        expect.arrayContaining([
          ['soon.wav', `not found yet (${j.journal}:2)`],
          ['never.wav', `not found yet (${j.journal}:3)`],
        ]),
      );
      expect(Object.keys((await j.state()).pending).sort()).toEqual(['never.wav', 'soon.wav']);
      expect((await j.state()).cursor).toMatchObject({ line: 3 });

      await j.addFiles(['soon.wav']);
      const two = await j.sync({ now: new Date(now.getTime() + 60_000) });
      expect(two.uploaded()).toEqual(['soon.wav']);
      expect(Object.keys((await j.state()).pending)).toEqual(['never.wav']);

      const planned = await j.plan({ now: new Date(now.getTime() + 2 * DAY) });
      expect(planned).toContainEqual(
        expect.objectContaining({
          type: 'file',
          path: 'never.wav',
          action: 'vanished',
          reason: 'missing for more than 1d',
        }),
      );
      const three = await j.sync({ now: new Date(now.getTime() + 2 * DAY) });
      expect(three.events).toEqual([
        expect.objectContaining({
          path: 'never.wav',
          outcome: 'vanished',
          reason: 'missing for more than 1d',
        }),
      ]);
      expect((await j.state()).pending).toEqual({});
    },
  );

  it('says a file shorter than its entry states is short, not "not found"', async () => {
    const j = await setup({ files: ['short.wav'] });
    await appendLines(j.journal, ['{"path":"short.wav","size":100000}']);
    const run = await j.sync();
    const [event] = run.events;
    expect(event).toMatchObject({ path: 'short.wav', outcome: 'deferred' });
    expect(event.reason).toMatch(
      new RegExp(
        `^shorter than the journal says \\(\\d+ of 100000 bytes written\\) \\(${j.journal}:1\\)$`,
      ),
    );
  });

  it('saves the offset of the longest done prefix when uploads finish out of order', async () => {
    const files = calls('2026-11-25', 6);
    const j = await setup({ files, strategy: { linesPerPartition: 1 } });
    await appendLines(j.journal, files);
    const stop = new AbortController();
    let uploaded = 0;
    const holdThird = definePlugin({
      name: 'test:hold-third',
      apply(hooks) {
        hooks.beforeUpload.tapPromise('test', async (input) => {
          if (input.Key === files[2])
            await new Promise((resolve) => stop.signal.addEventListener('abort', resolve));
          return input;
        });
        hooks.uploaded.tap('test', () => {
          if (++uploaded === 5) stop.abort(); // every file but the third is in the bucket
        });
      },
    });
    const cut = await j.sync({ abortSignal: stop.signal, plugins: [holdThird] });
    expect(cut.stats.interrupted).toBe(true);
    expect(cut.uploaded()).toEqual([0, 1, 3, 4, 5].map((i) => files[i]!).sort());
    // lines 4-6 are done, but line 3 is not
    expect((await j.state()).cursor).toMatchObject({ line: 2 });

    const rerun = await j.sync();
    // from line 3 on: the in-flight line and those after it
    expect(rerun.uploaded()).toEqual(files.slice(2).sort());
    expect((await j.state()).cursor).toMatchObject({ line: 6 });
    expect(await j.byteExact(files)).toBe(true);
  });

  it('follows a rename rotation across runs, losing no line left in the old file', async () => {
    const files = calls('2026-11-25', 6);
    const j = await setup({ files, strategy: { rotationGrace: 0 } });
    await appendLines(j.journal, files.slice(0, 2));
    await j.sync();
    await appendLines(j.journal, files.slice(2, 4));
    await rename(j.journal, `${j.journal}.1`);
    await writeFile(j.journal, `${files.slice(4).join('\n')}\n`);
    const run = await j.sync();
    expect(run.uploaded()).toEqual(files.slice(2).sort());
    expect(await j.keys()).toEqual([...files].sort());
  });

  it(
    're-reads a copy-truncated journal with HEAD checks: what is in the bucket is not ' +
      'uploaded again',
    async () => {
      const files = calls('2026-11-25', 4);
      const j = await setup({ files });
      await appendLines(j.journal, files.slice(0, 3));
      await j.sync();
      // rewritten in place, other bytes
      await writeFile(j.journal, `${[files[0], files[1], files[3], files[2]].join('\n')}\n`);
      const run = await j.sync();
      expect(run.uploaded()).toEqual([files[3]]);
      expect(
        run.events
          .filter((e) => e.outcome === 'present')
          .map((e) => e.key)
          .sort(),
      ).toEqual(files.slice(0, 3).sort());
      expect(run.warnings.map((w) => w.message).join()).toMatch(/is gone or was truncated/);
    },
  );

  it('plans without changing anything', async () => {
    const j = await setup({ files: ['a.wav'] });
    await appendLines(j.journal, ['a.wav', 'b.wav']);
    const items = await j.plan();
    // files come in the completion order of their checks: compare as a set
    const files = items.flatMap((i) => (i.type === 'file' ? [[i.path, i.action]] : [])).sort();
    expect(files).toEqual([
      ['a.wav', 'upload'],
      ['b.wav', 'deferred'],
    ]);
    expect(await j.keys()).toEqual([]);
  });
});
