import { spawn } from 'node:child_process';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalCursor } from '../src/internal.js';
import {
  addFiles,
  advanceAll,
  appendLines,
  archive,
  collect,
  harness,
  runOnce,
} from './helpers.js';

const calls = (from: number, count: number) =>
  Array.from(
    { length: count },
    (_, i) => `2026-11-25/call-${String(from + i).padStart(4, '0')}.wav`,
  );

describe('reading a journal file from the saved offset', () => {
  it('reads every entry on a first run, then only lines appended since', async () => {
    const first = calls(0, 5);
    const { source, journalDir } = await archive([...first, ...calls(5, 3)]);
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, first);
    const h = harness({ path: journal }, source);
    const one = await runOnce(h);
    expect(one.paths).toEqual(first);
    expect(one.cursor).toMatchObject({
      file: 'written.log',
      offset: first.join('\n').length + 1,
      line: 5,
    });

    expect((await runOnce(h, one.cursor)).runs).toEqual([]);
    await appendLines(journal, calls(5, 3));
    const two = await runOnce(h, one.cursor);
    expect(two.paths).toEqual(calls(5, 3));
    expect(two.cursor).toMatchObject({ line: 8 });
  });

  it('reports size and mtime from the disk, and where each entry was read', async () => {
    const { source, journalDir } = await archive(['a.wav']);
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, ['# header', '', 'a.wav']);
    const [run] = await collect(harness({ path: journal }, source).instance);
    expect(run!.files).toEqual([
      {
        path: 'a.wav',
        size: 'content of a.wav'.length,
        mtimeMs: expect.any(Number),
        origin: `${journal}:3`,
      },
    ]);
  });

  it('leaves a partial last line for the next run, then reads it whole', async () => {
    const { source, journalDir } = await archive(['a.wav', 'bb/c.wav']);
    const journal = path.join(journalDir, 'written.log');
    await writeFile(journal, 'a.wav\nbb/c.w');
    const h = harness({ path: journal }, source);
    const one = await runOnce(h);
    expect(one.paths).toEqual(['a.wav']);
    expect(one.cursor).toMatchObject({ offset: 6, line: 1 });
    await appendFile(journal, 'av\n');
    expect((await runOnce(h, one.cursor)).paths).toEqual(['bb/c.wav']);
  });

  it('yields chunks of linesPerPartition lines as closed partitions, no key prefix', async () => {
    const lines = calls(0, 7);
    const { source, journalDir } = await archive(lines);
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, lines);
    const runs = await collect(harness({ path: journal, linesPerPartition: 3 }, source).instance);
    expect(runs.map((r) => r.files.length)).toEqual([3, 3, 1]);
    const lineBytes = lines[0]!.length + 1;
    expect(runs.map((r) => r.partition.id)).toEqual(
      [0, 3, 6].map((n) =>
        expect.stringMatching(
          new RegExp(`^written\\.log@\\d+:${n * lineBytes}-${Math.min(n + 3, 7) * lineBytes}$`),
        ),
      ),
    );
    for (const { partition } of runs) {
      expect(partition).toMatchObject({ closed: true, dir: source });
      expect(partition.prefix).toBeUndefined();
    }
  });

  it(
    'moves the offset only over the longest prefix of done partitions, whatever order they ' +
      'finish in',
    async () => {
      const lines = calls(0, 10);
      const { source, journalDir } = await archive(lines);
      const journal = path.join(journalDir, 'written.log');
      await appendLines(journal, lines);
      const h = harness({ path: journal, linesPerPartition: 2 }, source);
      const runs = await collect(h.instance);
      // Partitions 1, 3 and 4 finish first; 0 is still uploading: the cursor may not move at all.
      const done = new Set<number>();
      let cursor: JournalCursor | undefined;
      let frontier = 0;
      const finish = (i: number) => {
        done.add(i);
        while (done.has(frontier)) cursor = h.instance.advance(cursor, runs[frontier++]!.partition);
      };
      for (const i of [1, 3, 4]) finish(i);
      expect(cursor).toBeUndefined();
      finish(0);
      // partitions 0 and 1: lines 1-4; 2 is still in flight
      expect(cursor).toMatchObject({ line: 4 });
      // A crash now: the next run starts after line 4 and re-reads lines 5-10 (3 and 4 again, never
      // 1-4).
      const rerun = await runOnce(
        harness({ path: journal, linesPerPartition: 2 }, source),
        JSON.parse(JSON.stringify(cursor)),
      );
      expect(rerun.paths).toEqual(lines.slice(4));
      expect(rerun.cursor).toMatchObject({ line: 10 });
    },
  );

  it('yields an entry repeated within a run once, at its first line', async () => {
    const { source, journalDir } = await archive(['a.wav', 'b.wav']);
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, ['a.wav', 'b.wav', './a.wav', `${source}/a.wav`, 'b.wav']);
    const h = harness({ path: journal, linesPerPartition: 2 }, source);
    const runs = await collect(h.instance);
    expect(runs.map((r) => r.files.map((f) => f.path))).toEqual([['a.wav', 'b.wav'], [], []]);
    expect(h.instance.features?.describe?.()).toMatchObject({
      linesRead: 5,
      entries: 2,
      duplicates: 3,
    });
  });

  it('names a missing file as missing, with the journal line', async () => {
    const { source, journalDir } = await archive([]);
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, ['later/x.wav']);
    const h = harness({ path: journal, missingTimeout: '2d' }, source);
    const [run] = await collect(h.instance);
    expect(run!.files).toEqual([{ kind: 'missing', path: 'later/x.wav', origin: `${journal}:1` }]);
    expect(h.instance.features?.missingTimeoutMs).toBe(2 * 86_400_000);
  });

  it('waits for a file smaller than the size its JSON entry states', async () => {
    const { source, journalDir } = await archive(['a.wav']);
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, ['{"path":"a.wav","size":1000}', '{"path":"a.wav","size":3}']);
    const [run] = await collect(harness({ path: journal }, source).instance);
    expect(run!.files).toEqual([
      {
        kind: 'missing',
        path: 'a.wav',
        origin: `${journal}:1`,
        waiting: 'shorter than the journal says (16 of 1000 bytes written)',
      },
    ]);
  });

  it('starts at the end of the journal on a first run with start: "end"', async () => {
    const { source, journalDir } = await archive(calls(0, 6));
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, calls(0, 4));
    await appendFile(journal, 'partial');
    const h = harness({ path: journal, start: 'end' }, source);
    const one = await runOnce(h);
    expect(one.paths).toEqual([]);
    expect(one.cursor).toMatchObject({ line: 4 });
    await appendFile(journal, '\n');
    await appendLines(journal, calls(4, 2));
    // sorted within the partition
    expect((await runOnce(h, one.cursor)).paths).toEqual([...calls(4, 2), 'partial']);
  });

  it('warns when the journal does not exist yet', async () => {
    const { source, journalDir } = await archive([]);
    const h = harness({ path: path.join(journalDir, 'nothing.log') }, source);
    expect(await collect(h.instance)).toEqual([]);
    expect(h.warnings.join()).toMatch(/nothing\.log does not exist \(yet\)/);
  });

  it('refuses a folder given as the journal file, pointing to `directory`', async () => {
    const { source, journalDir } = await archive([]);
    await expect(collect(harness({ path: journalDir }, source).instance)).rejects.toMatchObject({
      code: 'E_USAGE',
      message: `the journal ${journalDir} is a folder`,
      hint: 'for a folder of segment files, set directory instead of path',
    });
  });

  it('reads every line exactly once while a writer appends during the runs', async () => {
    const { source, journalDir } = await archive([]);
    const journal = path.join(journalDir, 'written.log');
    const total = 4000;
    const writer = spawn(process.execPath, [
      '-e',
      `
      const fs = require('node:fs');
      for (let i = 0; i < ${total}; i++) {
        const fd = fs.openSync(${JSON.stringify(journal)}, 'a');
        const name = 'call-' + String(i).padStart(5, '0') + '-' + 'x'.repeat(i % 40);
        fs.writeSync(fd, 'dir-' + (i % 7) + '/' + name + '.wav\\n');
        fs.closeSync(fd);
      }`,
    ]);
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    let finished = false;
    void exited.then(() => (finished = true));
    const h = harness({ path: journal, linesPerPartition: 97 }, source);
    const seen: string[] = [];
    let cursor: JournalCursor | undefined;
    let runs = 0;
    for (let last = false; !last; runs++) {
      last = finished;
      const run = await runOnce(h, cursor);
      seen.push(...run.paths);
      cursor = run.cursor ?? cursor;
    }
    expect(runs).toBeGreaterThan(1);
    const expected = Array.from(
      { length: total },
      (_, i) => `dir-${i % 7}/call-${String(i).padStart(5, '0')}-${'x'.repeat(i % 40)}.wav`,
    );
    expect(seen.sort()).toEqual(expected.sort());
    expect(cursor).toMatchObject({ line: total });
  });

  it('keeps the cursor where it is when partitions are advanced over twice', async () => {
    const lines = calls(0, 4);
    const { source, journalDir } = await archive(lines);
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, lines);
    const h = harness({ path: journal, linesPerPartition: 1 }, source);
    const runs = await collect(h.instance);
    const cursor = advanceAll(h.instance, undefined, runs);
    expect(advanceAll(h.instance, cursor, runs)).toBe(cursor);
    expect(advanceAll(h.instance, cursor, runs.slice(0, 2))).toBe(cursor);
  });

  it('adds the files it is told about after the first run', async () => {
    const { source, journalDir } = await archive(['a.wav']);
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, ['a.wav']);
    const h = harness({ path: journal }, source);
    const one = await runOnce(h);
    await addFiles(source, ['b.wav']);
    await appendLines(journal, ['b.wav']);
    expect((await runOnce(h, one.cursor)).runs.flatMap((r) => r.files)).toEqual([
      expect.objectContaining({ path: 'b.wav', size: 16 }),
    ]);
  });
});
