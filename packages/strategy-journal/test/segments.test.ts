import { existsSync } from 'node:fs';
import { appendFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalOptions } from '../src/index.js';
import { appendLines, archive, harness, runOnce } from './helpers.js';

const LATER = () => new Date(Date.now() + 3_600_000);
const OLD = new Date('2026-01-01T00:00:00Z');

async function segments(spec: Record<string, string[]>, options: Partial<JournalOptions> = {}) {
  const { source, journalDir } = await archive();
  for (const [name, lines] of Object.entries(spec))
    await appendLines(path.join(journalDir, name), lines);
  return {
    source,
    dir: journalDir,
    h: harness({ directory: journalDir, ...options } as JournalOptions, source),
  };
}

describe('a folder of segment files', () => {
  it('reads segments in name order and resumes in the cursor segment', async () => {
    const { dir, h } = await segments({
      '2026-11-25.log': ['c.wav'],
      '2026-11-24.log': ['a.wav', 'b.wav'],
      '.2026-11-26.log.tmp': ['hidden.wav'],
    });
    const one = await runOnce(h, undefined, LATER());
    expect(one.paths).toEqual(['a.wav', 'b.wav', 'c.wav']);
    expect(one.cursor).toMatchObject({ file: '2026-11-25.log', line: 1 });
    await appendLines(path.join(dir, '2026-11-25.log'), ['d.wav']);
    await appendLines(path.join(dir, '2026-11-26.log'), ['e.wav']);
    // before the cursor's segment: never read again
    await appendLines(path.join(dir, '2026-11-24.log'), ['too-late.wav']);
    const two = await runOnce(h, one.cursor, LATER());
    expect(two.paths).toEqual(['d.wav', 'e.wav']);
    expect(two.cursor).toMatchObject({ file: '2026-11-26.log', line: 1 });
  });

  it('moves the cursor into a new segment that has no complete line yet', async () => {
    const { dir, h } = await segments({ '001.log': ['a.wav'] });
    const one = await runOnce(h, undefined, LATER());
    await writeFile(path.join(dir, '002.log'), 'partial');
    const two = await runOnce(h, one.cursor, LATER());
    expect(two.runs.map((r) => r.partition.id)).toEqual([
      expect.stringMatching(/^002\.log@\d+:0-0$/),
    ]);
    expect(two.cursor).toMatchObject({ file: '002.log', offset: 0, line: 0 });
    await appendFile(path.join(dir, '002.log'), '.wav\n');
    expect((await runOnce(h, two.cursor, LATER())).paths).toEqual(['partial.wav']);
  });

  it('stays in a segment written within rotationGrace even when a later one exists', async () => {
    const { dir, h } = await segments(
      { '001.log': ['a.wav'], '002.log': ['b.wav'] },
      { rotationGrace: '5m' },
    );
    const early = await runOnce(h, undefined, new Date());
    expect(early.paths).toEqual(['a.wav']);
    await utimes(path.join(dir, '001.log'), OLD, OLD);
    expect((await runOnce(h, early.cursor, new Date())).paths).toEqual(['b.wav']);
  });

  it('re-reads a replaced cursor segment with HEAD checks, and says so', async () => {
    const { dir, h } = await segments({ '001.log': ['a.wav', 'b.wav'] });
    const one = await runOnce(h, undefined, LATER());
    await rm(path.join(dir, '001.log'));
    await appendLines(path.join(dir, '001.log'), ['x.wav', 'y.wav', 'z.wav']);
    const two = await runOnce(h, one.cursor, LATER());
    expect(two.paths).toEqual(['x.wav', 'y.wav', 'z.wav']);
    expect(two.runs.every((r) => r.partition.remoteCheck === 'head')).toBe(true);
    expect(h.warnings.join()).toMatch(
      /segment .*001\.log was replaced or truncated since byte 12 was read/,
    );
  });

  it('warns when the cursor segment is gone and goes on with later ones', async () => {
    const { dir, h } = await segments({ '001.log': ['a.wav'] });
    const one = await runOnce(h, undefined, LATER());
    await rm(path.join(dir, '001.log'));
    await appendLines(path.join(dir, '002.log'), ['b.wav']);
    expect((await runOnce(h, one.cursor, LATER())).paths).toEqual(['b.wav']);
    expect(h.warnings.join()).toMatch(
      /001\.log, which the cursor is in \(byte 6, line 1\), is gone/,
    );
  });

  it('skips compressed segments with a warning', async () => {
    const { dir, h } = await segments({ '001.log': ['a.wav'] });
    await writeFile(path.join(dir, '000.log.gz'), 'zz');
    expect((await runOnce(h, undefined, LATER())).paths).toEqual(['a.wav']);
    expect(h.warnings.join()).toMatch(/000\.log\.gz is compressed and cannot be read/);
  });
});

describe('committed segments', () => {
  it('deletes segments the durable cursor has passed, and only those', async () => {
    const { dir, h } = await segments(
      { '001.log': ['a.wav'], '002.log': ['b.wav'], '003.log': ['c.wav'] },
      { committedSegments: 'delete' },
    );
    const run = await runOnce(h, undefined, LATER());
    await h.instance.features!.committed!(run.cursor!);
    expect(await readdir(dir)).toEqual(['003.log']);
  });

  it('moves them into a folder when asked', async () => {
    const { dir, h } = await segments(
      { '001.log': ['a.wav'], '002.log': ['b.wav'] },
      { committedSegments: { moveTo: 'done' } },
    );
    const run = await runOnce(h, undefined, LATER());
    await h.instance.features!.committed!(run.cursor!);
    expect((await readdir(dir)).sort()).toEqual(['002.log', 'done']);
    expect(await readdir(path.join(dir, 'done'))).toEqual(['001.log']);
  });

  it('keeps a passed segment that grew after it was read, and reports it', async () => {
    const { dir, h } = await segments(
      { '001.log': ['a.wav'], '002.log': ['b.wav'] },
      { committedSegments: 'delete' },
    );
    const run = await runOnce(h, undefined, LATER());
    await appendLines(path.join(dir, '001.log'), ['straggler.wav']);
    await expect(h.instance.features!.committed!(run.cursor!)).rejects.toThrow(
      new RegExp(
        String.raw`kept segment\(s\) written after a later segment existed.*` +
          String.raw`001\.log \(read up to byte 6, now 20 bytes\)`,
      ),
    );
    expect(existsSync(path.join(dir, '001.log'))).toBe(true);
  });

  it('is not offered for a single journal file', async () => {
    const { source, journalDir } = await archive();
    expect(
      harness({ path: path.join(journalDir, 'w.log') }, source).instance.features?.committed,
    ).toBeUndefined();
  });
});
