/**
 * Walking less: write-once pruning (same result on a write-once tree, and its documented miss),
 * and include/exclude globs that keep the walk out of folders.
 */
import * as fs from 'node:fs';
import { appendFile, chmod, cp, rename } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanFs } from '@recsync/strategy-mtime/internal';
import { run, subject, tempDir, tick, writeFiles } from './helpers.js';

const OLD = new Date('2024-05-01T00:00:00Z');

/** day-1…day-4, each with hour folders h0, h1 of five files, all written before the cutoff. */
async function writeOnceArchive() {
  const root = await tempDir();
  const outside = await tempDir('recsync-outside-');
  const spec: Record<string, Date> = {};
  for (let d = 1; d <= 4; d++)
    for (let h = 0; h < 2; h++)
      for (let f = 0; f < 5; f++) spec[`day-${d}/h${h}/clip-${f}.mp4`] = OLD;
  await writeFiles(root, spec);
  await writeFiles(outside, {
    'restored/r1.mp4': OLD,
    'restored/sub/r2.mp4': OLD,
    'copy.mp4': OLD,
  });
  await tick();
  const cutoff = Date.now();
  await tick();
  return { root, outside, cursor: { cutoff: new Date(cutoff).toISOString() } };
}

/**
 * What a write-once archive receives: new files and folders, copies and moves in; nothing modified
 * in place.
 */
async function appendOnly(a: { root: string; outside: string }): Promise<string[]> {
  await writeFiles(a.root, {
    'day-5/h0/new-1.mp4': null,
    'day-5/h1/new-2.mp4': null,
    'day-4/h1/late.mp4': null,
  });
  await cp(path.join(a.outside, 'copy.mp4'), path.join(a.root, 'day-2/h0/copy.mp4'), {
    preserveTimestamps: true,
  });
  await rename(path.join(a.outside, 'restored'), path.join(a.root, 'day-3/restored'));
  await tick();
  return [
    'day-2/h0/copy.mp4',
    'day-3/restored/r1.mp4',
    'day-3/restored/sub/r2.mp4',
    'day-4/h1/late.mp4',
    'day-5/h0/new-1.mp4',
    'day-5/h1/new-2.mp4',
  ];
}

describe('write-once pruning', () => {
  it('gives the full walk result on a write-once tree, stat-ing far fewer files', async () => {
    const a = await writeOnceArchive();
    const expected = await appendOnly(a);
    const full = subject({}, a.root);
    const pruned = subject({ writeOnce: true }, a.root);
    expect((await run(full.instance, { now: Date.now(), cursor: a.cursor })).paths).toEqual(
      expected,
    );
    expect((await run(pruned.instance, { now: Date.now(), cursor: a.cursor })).paths).toEqual(
      expected,
    );
    const [f, p] = [full.instance.describe(), pruned.instance.describe()];
    expect(f).toMatchObject({ filesStated: 46, prunedDirs: 0, dirsWalked: 17 });
    // Stat'ed: the files of day-5/h0, day-5/h1, day-4/h1, day-2/h0 (changed folders) and the
    // moved-in
    // folder. Unchanged: day-1, day-2, day-4 (only their subfolders are read) and six hour
    // folders,
    // which are not even opened: their link count says they have no subfolders.
    expect(p).toMatchObject({ filesStated: 16, prunedDirs: 9, dirsWalked: 11 });
  });

  it('documented miss: a file modified in place (or chmod-ed) in an unchanged folder', async () => {
    const a = await writeOnceArchive();
    await appendFile(path.join(a.root, 'day-1/h0/clip-0.mp4'), 'appended in place');
    await chmod(path.join(a.root, 'day-1/h1/clip-1.mp4'), 0o600);
    await tick();
    expect(
      (await run(subject({}, a.root).instance, { now: Date.now(), cursor: a.cursor })).paths,
    ).toEqual(['day-1/h0/clip-0.mp4', 'day-1/h1/clip-1.mp4']);
    expect(
      (
        await run(subject({ writeOnce: true }, a.root).instance, {
          now: Date.now(),
          cursor: a.cursor,
        })
      ).paths,
    ).toEqual([]);
  });

  it('does not prune on a first run', async () => {
    const a = await writeOnceArchive();
    await appendOnly(a);
    const { instance } = subject({ writeOnce: true }, a.root);
    expect((await run(instance, { now: Date.now() })).paths).toHaveLength(46);
    expect(instance.describe()).toMatchObject({ prunedDirs: 0, cutoff: 'everything' });
  });
});

describe('include/exclude globs', () => {
  /** node:fs, recording every folder opened. */
  function recording(opened: string[], root: string): ScanFs {
    const note = (dir: string) => void opened.push(path.relative(root, dir) || '.');
    return {
      ...fs,
      opendirSync: ((dir: string, options?: fs.OpenDirOptions) => {
        note(dir);
        return fs.opendirSync(dir, options);
      }) as typeof fs.opendirSync,
      readdirSync: ((dir: string, options: never) => {
        note(dir);
        return fs.readdirSync(dir, options);
      }) as typeof fs.readdirSync,
    };
  }

  async function tree() {
    const root = await tempDir();
    await writeFiles(root, {
      'cam-1/x.mp4': OLD,
      'cam-1/x.tmp': OLD,
      'cam-2/sub/y.mp4': OLD,
      'cam-2/cache/big.mp4': OLD,
      'logs/z.log': OLD,
      'tmp/deep/q.mp4': OLD,
      'top.mp4': OLD,
    });
    return root;
  }

  it('takes what the job filters take, and never opens a folder that cannot match', async () => {
    const root = await tree();
    const opened: string[] = [];
    const { instance } = subject(
      { include: ['cam-*/**'], exclude: ['**/*.tmp', '**/cache/**'] },
      root,
      { fs: recording(opened, root) },
    );
    expect((await run(instance, { now: Date.now() })).paths).toEqual([
      'cam-1/x.mp4',
      'cam-2/sub/y.mp4',
    ]);
    // the root: listing, then its files
    expect(opened.sort()).toEqual(['.', '.', 'cam-1', 'cam-2', 'cam-2/sub']);
    expect(instance.describe()).toMatchObject({ excludedDirs: 3 });
  });

  it("prunes with the job's filters too, and takes only what passes both sets", async () => {
    const root = await tree();
    const opened: string[] = [];
    const filters = { include: ['cam-*/**'], exclude: ['**/cache/**'] };
    const { instance } = subject({ exclude: ['**/*.tmp'] }, root, {
      fs: recording(opened, root),
      filters,
    });
    expect((await run(instance, { now: Date.now() })).paths).toEqual([
      'cam-1/x.mp4',
      'cam-2/sub/y.mp4',
    ]);
    expect(opened).not.toContain('logs');
    expect(opened).not.toContain('tmp');
    expect(opened).not.toContain('cam-2/cache');
  });

  it('prunes by the exclude only when the include matches base names', async () => {
    const root = await tree();
    const opened: string[] = [];
    const { instance } = subject({ include: ['*.mp4'], exclude: ['tmp/**'] }, root, {
      fs: recording(opened, root),
    });
    expect((await run(instance, { now: Date.now() })).paths).toEqual([
      'cam-1/x.mp4',
      'cam-2/cache/big.mp4',
      'cam-2/sub/y.mp4',
      'top.mp4',
    ]);
    expect(opened).not.toContain('tmp');
    expect(opened).toContain('logs');
  });
});
