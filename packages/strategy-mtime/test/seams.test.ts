/**
 * Behaviour that needs a file system misbehaving on cue: unreadable folders (tests run as root,
 * for whom `chmod 000` changes nothing) and files changed while the walk runs. The walk takes
 * a test double of the synchronous file-system calls and then runs on the main thread.
 */
import * as fs from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanFs } from '@recsync/strategy-mtime/internal';
import { run, subject, tempDir, tick, writeFiles } from './helpers.js';

const DAY = 86_400_000;
const C0 = Date.parse('2030-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** node:fs, with a hook called before each directory is opened and each entry is stat'ed. */
function seamFs(hooks: { open?(dir: string): void; lstat?(file: string): void }): ScanFs {
  return {
    opendirSync: ((dir: string, options?: fs.OpenDirOptions) => {
      hooks.open?.(dir);
      return fs.opendirSync(dir, options);
    }) as typeof fs.opendirSync,
    readdirSync: ((dir: string, options: never) => {
      hooks.open?.(dir);
      return fs.readdirSync(dir, options);
    }) as typeof fs.readdirSync,
    lstatSync: ((file: string, options: never) => {
      hooks.lstat?.(file);
      return fs.lstatSync(file, options);
    }) as typeof fs.lstatSync,
    statSync: fs.statSync,
    realpathSync: fs.realpathSync,
  };
}

function denied(): never {
  throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
}

/** Folders that refuse to open (and files that refuse a stat) while their name is in `locked`. */
function lockable(root: string, locked: Set<string>): ScanFs {
  const check = (abs: string) => {
    if (locked.has(path.relative(root, abs))) denied();
  };
  return seamFs({ open: check, lstat: check });
}

describe('unreadable folders', () => {
  async function archive() {
    const root = await tempDir();
    // ctimes (the real clock) are long before these runs; the mtimes decide.
    await writeFiles(root, {
      'cam-1/ok/a.mp4': new Date(C0 - DAY),
      // changed after the first cutoff, before the first run
      'cam-1/locked/b.mp4': new Date(C0 + DAY),
      'cam-1/locked/deeper/c.mp4': new Date(C0 - DAY),
      'cam-2/d.mp4': new Date(C0 + DAY),
    });
    return root;
  }

  it(
    'reports one, keeps walking, remembers it with the cutoff it missed, and walks it with ' +
      'that cutoff once readable',
    async () => {
      const root = await archive();
      const locked = new Set(['cam-1/locked']);
      const first = subject({}, root, { fs: lockable(root, locked) });
      const r1 = await run(first.instance, { now: C0 + 2 * DAY, cursor: { cutoff: iso(C0) } });
      expect(r1.paths).toEqual(['cam-2/d.mp4']);
      expect(first.warnings.join('\n')).toMatch(
        new RegExp(
          String.raw`partition cam-1: 1 folder\(s\) could not be read \(cam-1\/locked\)` +
            '.*walked again by the next run',
        ),
      );
      expect(first.instance.describe()).toMatchObject({ unreadableDirs: 1 });
      expect(r1.cursor).toEqual({
        cutoff: iso(C0 + 2 * DAY - 5000),
        unreadable: [{ dir: 'cam-1/locked', cutoff: iso(C0) }],
      });

      // Still unreadable: remembered again with the cutoff it first missed, not this run's.
      const r2 = await run(subject({}, root, { fs: lockable(root, locked) }).instance, {
        now: C0 + 3 * DAY,
        cursor: r1.cursor,
      });
      expect(r2.paths).toEqual([]);
      expect(r2.cursor).toEqual({
        cutoff: iso(C0 + 3 * DAY - 5000),
        unreadable: [{ dir: 'cam-1/locked', cutoff: iso(C0) }],
      });

      // Readable again: b.mp4 (changed long before this run's cutoff) is found, and forgotten
      // after.
      const third = subject({}, root);
      const r3 = await run(third.instance, { now: C0 + 4 * DAY, cursor: r2.cursor });
      expect(r3.paths).toEqual(['cam-1/locked/b.mp4']);
      expect(third.instance.describe()).toMatchObject({ rememberedUnreadable: 1, rewalkedDirs: 1 });
      expect(r3.cursor).toEqual({ cutoff: iso(C0 + 4 * DAY - 5000) });
    },
  );

  it(
    'keeps a remembered folder that an unreadable parent hides, and remembers a top-level ' +
      'folder',
    async () => {
      const root = await archive();
      const r1 = await run(
        subject({}, root, { fs: lockable(root, new Set(['cam-1/locked'])) }).instance,
        { now: C0 + 2 * DAY, cursor: { cutoff: iso(C0) } },
      );
      const r2 = await run(
        subject({}, root, { fs: lockable(root, new Set(['cam-1', 'cam-2'])) }).instance,
        { now: C0 + 3 * DAY, cursor: r1.cursor },
      );
      expect(r2.paths).toEqual([]);
      expect(r2.cursor?.unreadable).toEqual([
        { dir: 'cam-1', cutoff: iso(C0 + 2 * DAY - 5000) },
        { dir: 'cam-1/locked', cutoff: iso(C0) },
        { dir: 'cam-2', cutoff: iso(C0 + 2 * DAY - 5000) },
      ]);
      await writeFiles(root, { 'cam-1/ok/e.mp4': new Date(C0 + 2.5 * DAY) });
      const r3 = await run(subject({}, root).instance, { now: C0 + 4 * DAY, cursor: r2.cursor });
      expect(r3.paths).toEqual(['cam-1/locked/b.mp4', 'cam-1/ok/e.mp4']);
      expect(r3.cursor).toEqual({ cutoff: iso(C0 + 4 * DAY - 5000) });
    },
  );

  it("remembers the folder of a file that cannot be stat'ed", async () => {
    const root = await archive();
    const r1 = await run(
      subject({}, root, { fs: lockable(root, new Set(['cam-2/d.mp4'])) }).instance,
      { now: C0 + 2 * DAY, cursor: { cutoff: iso(C0) } },
    );
    expect(r1.paths).toEqual(['cam-1/locked/b.mp4']);
    expect(r1.cursor?.unreadable).toEqual([{ dir: 'cam-2', cutoff: iso(C0) }]);
    const r2 = await run(subject({}, root).instance, { now: C0 + 3 * DAY, cursor: r1.cursor });
    expect(r2.paths).toEqual(['cam-2/d.mp4']);
  });

  it('forgets a remembered folder that was deleted', async () => {
    const root = await archive();
    const cursor = {
      cutoff: iso(C0 + 2 * DAY),
      unreadable: [
        { dir: 'cam-1/gone', cutoff: iso(C0) },
        { dir: 'cam-9/x', cutoff: iso(C0) },
      ],
    };
    const r = await run(subject({}, root).instance, { now: C0 + 3 * DAY, cursor });
    expect(r.cursor).toEqual({ cutoff: iso(C0 + 3 * DAY - 5000) });
  });
});

describe('files changed during the walk', () => {
  // These runs use the real clock: the changes happen now.
  const old = new Date('2024-01-01T00:00:00Z');
  const cursor = { cutoff: '2025-01-01T00:00:00.000Z' };

  it('are in this run or the next, never lost', async () => {
    const root = await tempDir();
    await writeFiles(
      root,
      Object.fromEntries(
        Array.from({ length: 60 }, (_, i) => [`d/f${String(i).padStart(2, '0')}`, old]),
      ),
    );
    await tick();
    let stats = 0;
    const touched = ['d/f00', 'd/f30', 'd/f59', 'd/created-during-walk'];
    const during = seamFs({
      lstat: () => {
        if (++stats !== 30) return;
        for (const rel of touched) fs.appendFileSync(path.join(root, rel), 'changed');
      },
    });
    // mtime only: ctimes of a tree this young sit inside the margin and would be found anyway.
    const options = { ctime: false, margin: '1s' } as const;
    const r1 = await run(subject(options, root, { fs: during }).instance, {
      now: Date.now(),
      cursor,
    });
    await tick();
    const r2 = await run(subject(options, root).instance, { now: Date.now(), cursor: r1.cursor });
    expect(r2.paths).toEqual([...touched].sort()); // their mtimes are after the first run's clock
    for (const rel of touched) expect([...r1.paths, ...r2.paths]).toContain(rel);
    expect(r1.paths.every((p) => touched.includes(p))).toBe(true);
  });

  it('a file appended to after the walk passed it is found by the next run', async () => {
    const root = await tempDir();
    await writeFiles(root, { 'd/growing.wav': old });
    const options = { ctime: false, margin: '1s' } as const;
    const r1 = await run(subject(options, root).instance, { now: Date.now(), cursor });
    expect(r1.paths).toEqual([]);
    await appendFile(path.join(root, 'd/growing.wav'), 'more');
    const r2 = await run(subject(options, root).instance, { now: Date.now(), cursor: r1.cursor });
    expect(r2.paths).toEqual(['d/growing.wav']);
  });
});
