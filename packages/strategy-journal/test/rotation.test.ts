import { copyFile, rename, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalCursor } from '../src/internal.js';
import { appendLines, archive, harness, runOnce, type Harness } from './helpers.js';

const names = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `n-${from + i}.wav`);
const LATER = () => new Date(Date.now() + 3_600_000);

/** A journal with lines n-1..n-3 read and committed, and n-4, n-5 appended after that run. */
async function readThree(options: { rotationGrace?: string } = {}) {
  const { source, journalDir } = await archive();
  const journal = path.join(journalDir, 'written.log');
  await appendLines(journal, names(1, 3));
  const h = harness({ path: journal, linesPerPartition: 2, ...options }, source);
  const first = await runOnce(h);
  expect(first.paths).toEqual(names(1, 3));
  await appendLines(journal, names(4, 2));
  return { source, journal, h, cursor: first.cursor! };
}

const partitionsOf = async (h: Harness, cursor: JournalCursor, now = LATER()) =>
  (await runOnce(h, cursor, now)).runs;

describe('rotation by rename', () => {
  it('reads the rest of the renamed file first, then the new journal from the start', async () => {
    const { journal, h, cursor } = await readThree();
    await rename(journal, `${journal}.1`);
    await appendLines(journal, names(6, 2));
    const run = await runOnce(h, cursor, LATER());
    expect(run.paths).toEqual(names(4, 4));
    expect(run.cursor).toMatchObject({ file: 'written.log', line: 2 });
    expect(run.runs.every((r) => r.partition.remoteCheck === undefined)).toBe(true);
    expect(h.warnings).toEqual([]);
    // The renamed file's lines were fully committed: the next run reads the new journal only.
    await appendLines(journal, names(8, 1));
    expect((await runOnce(h, run.cursor, LATER())).paths).toEqual(names(8, 1));
  });

  it(
    'moves the cursor into a new journal with no complete line yet, so deleting the old one ' +
      'loses nothing',
    async () => {
      const { journal, h, cursor } = await readThree();
      await rename(journal, `${journal}.1`);
      await writeFile(journal, 'n-6.w');
      const run = await runOnce(h, cursor, LATER());
      expect(run.paths).toEqual(names(4, 2));
      expect(run.cursor).toMatchObject({ file: 'written.log', offset: 0, line: 0 });
      await rm(`${journal}.1`);
      await writeFile(journal, 'n-6.wav\n');
      expect((await runOnce(h, run.cursor, LATER())).paths).toEqual(names(6, 1));
      expect(h.warnings).toEqual([]);
    },
  );

  it('stays on a rotated file written within rotationGrace: a producer may hold it', async () => {
    const { journal, h, cursor } = await readThree({ rotationGrace: '10m' });
    await rename(journal, `${journal}.1`);
    await appendLines(journal, names(6, 2));
    const early = await runOnce(h, cursor, new Date());
    expect(early.paths).toEqual(names(4, 2));
    expect(h.warnings.join()).toMatch(
      /written\.log\.1 was written less than 10m ago: later journal files wait/,
    );
    // a late write by a producer that opened it before the rename
    await appendLines(`${journal}.1`, names(20, 1));
    const later = await runOnce(h, early.cursor, LATER());
    expect(later.paths).toEqual([...names(20, 1), ...names(6, 2)]);
  });

  it('catches up over several rotations, oldest first', async () => {
    const { journal, h, cursor } = await readThree();
    const at = (minutes: number) => new Date(Date.now() + minutes * 60_000);
    await rename(journal, `${journal}.1`);
    await appendLines(journal, names(6, 2));
    await rename(`${journal}.1`, `${journal}.2`);
    await rename(journal, `${journal}.1`);
    await appendLines(journal, names(8, 2));
    await utimes(`${journal}.2`, at(1), at(1));
    await utimes(`${journal}.1`, at(2), at(2));
    await utimes(journal, at(3), at(3));
    expect((await runOnce(h, cursor, LATER())).paths).toEqual(names(4, 6));
  });

  it(
    'cannot recover a rotated file that was compressed away, says so, and checks the rest ' +
      'with HEAD',
    async () => {
      const { journal, h, cursor } = await readThree();
      await rename(journal, `${journal}.1`);
      await appendLines(journal, names(6, 2));
      await writeFile(`${journal}.1.gz`, 'compressed');
      await rm(`${journal}.1`);
      const runs = await partitionsOf(h, cursor);
      expect(runs.flatMap((r) => r.files.map((f) => f.path))).toEqual(names(6, 2));
      expect(runs.every((r) => r.partition.remoteCheck === 'head' && r.partition.recheck)).toBe(
        true,
      );
      expect(h.warnings.join()).toMatch(
        new RegExp(
          String.raw`the journal file the cursor is in \(written\.log, inode \d+, ` +
            String.raw`byte 24, line 3\) is gone or was truncated ` +
            String.raw`\(1 compressed rotated file\(s\) cannot be read\): ` +
            'entries written to it after that position, if any, cannot be recovered',
        ),
      );
    },
  );

  it('reads every uncompressed rotated file on a first run, oldest first', async () => {
    const { source, journalDir } = await archive();
    const journal = path.join(journalDir, 'written.log');
    await appendLines(`${journal}.2`, names(1, 1));
    await appendLines(`${journal}.1`, names(2, 1));
    await writeFile(`${journal}.3.gz`, 'old and compressed');
    await appendLines(journal, names(3, 1));
    const old = new Date('2026-01-01T00:00:00Z');
    await utimes(`${journal}.2`, old, old);
    await utimes(`${journal}.1`, old, old); // same mtime: logrotate's numbering decides
    expect((await runOnce(harness({ path: journal }, source), undefined, LATER())).paths).toEqual(
      names(1, 3),
    );
  });
});

describe('truncation', () => {
  it(
    'follows copy-truncate: the rest of the copy, then the truncated journal from the start ' +
      'with HEAD checks',
    async () => {
      const { journal, h, cursor } = await readThree();
      await copyFile(journal, `${journal}.1`);
      await truncate(journal, 0);
      await appendLines(journal, names(100, 6)); // grows past the old offset with other bytes
      const runs = await partitionsOf(h, cursor);
      expect(runs.flatMap((r) => r.files.map((f) => f.path))).toEqual([
        ...names(4, 2),
        ...names(100, 6),
      ]);
      const [fromCopy, ...fromJournal] = runs;
      expect(fromCopy!.partition.id).toMatch(/^written\.log\.1@\d+:24-40$/);
      expect(fromCopy!.partition.remoteCheck).toBeUndefined();
      expect(fromJournal.every((r) => r.partition.remoteCheck === 'head')).toBe(true);
      expect(h.warnings.join()).toMatch(/was truncated \(copy-truncate rotation\)/);
    },
  );

  it(
    're-reads a journal rewritten in place (same inode, other bytes) from the start, checked ' +
      'with HEAD',
    async () => {
      const { journal, h, cursor } = await readThree();
      await writeFile(
        journal,
        names(50, 8)
          .map((n) => `${n}\n`)
          .join(''),
      );
      const runs = await partitionsOf(h, cursor);
      expect(runs.flatMap((r) => r.files.map((f) => f.path))).toEqual(names(50, 8));
      expect(runs.every((r) => r.partition.remoteCheck === 'head')).toBe(true);
      const next = (await runOnce(h, cursor, LATER())).cursor;
      expect(next).toMatchObject({ line: 8, ino: cursor.ino });
      expect(await runOnce(h, next, LATER())).toMatchObject({ paths: [] });
    },
  );

  it('re-reads a journal truncated below the offset from the start', async () => {
    const { journal, h, cursor } = await readThree();
    await writeFile(journal, 'n-9.wav\n');
    const runs = await partitionsOf(h, cursor);
    expect(runs.map((r) => [r.files.map((f) => f.path), r.partition.remoteCheck])).toEqual([
      [['n-9.wav'], 'head'],
    ]);
  });

  it(
    'continues in a journal whose inode changed but whose bytes are the same (a copy moved ' +
      'into place)',
    async () => {
      const { journal, h, cursor } = await readThree();
      await copyFile(journal, `${journal}.new`);
      await rename(`${journal}.new`, journal);
      const run = await runOnce(h, cursor, LATER());
      expect(run.paths).toEqual(names(4, 2));
      expect(run.runs.every((r) => r.partition.remoteCheck === undefined)).toBe(true);
    },
  );
});
