/**
 * The strategy against GNU find on the same trees: with `ctime: false` it yields exactly what
 * `find ROOT -newer MARKER -type f` prints; with ctime (the default) exactly what
 * `find ROOT -type f ( -newer MARKER -o -cnewer MARKER )` prints, as long as no folder was moved
 * in (that case is a superset, see ctime.test.ts).
 */
import { execFile } from 'node:child_process';
import {
  appendFile,
  chmod,
  mkdir,
  rename,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isCandidateFile } from '@recsync/framework';
import { findNewer, run, subject, tempDir, tick, writeFiles } from './helpers.js';

/** mulberry32: the same seed gives the same tree. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  'a',
  'b c',
  'ünï',
  '.hidden',
  '-dash',
  'x.y.z',
  'long-name-with-many-characters',
  '1',
  'ß€',
];

interface Fixture {
  readonly root: string;
  readonly marker: string;
  /** Every regular file, relative. */
  readonly files: string[];
}

/**
 * Phase 1 (before the marker): folders to depth 4, files with old mtimes, some with mtimes in
 * the future, empty folders, symlinks, a FIFO, one folder of 1,500 files (several chunks).
 * Phase 2 (after): new files, in-place appends, `cp -p` copies (old mtime, new ctime), chmods,
 * and renames of files within the tree.
 */
async function buildTree(seed: number): Promise<Fixture> {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const root = await tempDir();
  const dirs = [''];
  for (let i = 0; i < 25; i++)
    dirs.push(
      path.posix
        .join(pick(dirs), `${pick(NAMES)}${i}`)
        .split('/')
        .slice(0, 4)
        .join('/'),
    );
  const files: string[] = [];
  const old = () =>
    new Date(
      Date.UTC(2020 + Math.floor(rnd() * 5), Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28)),
    );
  const spec: Record<string, Date> = {};
  for (let i = 0; i < 300; i++) {
    const rel = path.posix.join(pick(dirs), `${pick(NAMES)}-${i}.dat`);
    spec[rel] = rnd() < 0.1 ? new Date(Date.now() + 3_600_000) : old();
  }
  for (let i = 0; i < 1500; i++) spec[`bulk/f${i}`] = old();
  await writeFiles(root, spec);
  files.push(...Object.keys(spec));
  await mkdir(path.join(root, 'empty', 'deeper'), { recursive: true });
  await symlink(path.join(root, files[0]!), path.join(root, 'link-to-file'));
  await symlink(path.join(root, 'bulk'), path.join(root, 'link-to-dir'));
  await promisify(execFile)('mkfifo', [path.join(root, 'bulk', 'fifo')]);

  await tick();
  const marker = path.join(await tempDir('recsync-marker-'), 'marker');
  await writeFile(marker, '');
  await tick();

  for (let i = 0; i < 40; i++) {
    const target = pick(files);
    const choice = rnd();
    const abs = path.join(root, target);
    if (choice < 0.2) await appendFile(abs, 'more');
    else if (choice < 0.4) await chmod(abs, 0o600);
    else if (choice < 0.6) {
      const moved = `${target}.renamed${i}`;
      await rename(abs, path.join(root, moved));
      files[files.indexOf(target)] = moved;
    } else if (choice < 0.8) {
      const copy = path.join(pick(dirs), `copy-${i}.dat`);
      await writeFiles(root, { [copy]: old() }); // cp -p: old mtime, new ctime
      files.push(copy);
    } else {
      const fresh = path.join(pick(dirs), `fresh-${i}.dat`);
      await writeFiles(root, { [fresh]: null });
      files.push(fresh);
    }
  }
  await tick();
  return { root, marker, files };
}

async function cursorAt(marker: string) {
  return { cutoff: new Date(Math.floor((await stat(marker)).mtimeMs)).toISOString() };
}

describe('equality with find -newer', () => {
  for (const seed of [1, 2, 3]) {
    it(`tree ${seed}: mtime only = find -newer, with threads and on the main thread`, async () => {
      const tree = await buildTree(seed);
      const expected = await findNewer(tree.root, tree.marker, { ctime: false });
      expect(expected.length).toBeGreaterThan(10);
      for (const threads of [0, 1, 3]) {
        const { instance } = subject({ ctime: false, threads }, tree.root);
        const result = await run(instance, {
          now: Date.now(),
          cursor: await cursorAt(tree.marker),
        });
        expect(result.paths).toEqual(expected);
      }
    });

    it(`tree ${seed}: mtime or ctime = find ( -newer -o -cnewer )`, async () => {
      const tree = await buildTree(seed);
      const expected = await findNewer(tree.root, tree.marker, { ctime: true });
      expect(expected.length).toBeGreaterThan(
        (await findNewer(tree.root, tree.marker, { ctime: false })).length,
      );
      const { instance } = subject({}, tree.root);
      const result = await run(instance, { now: Date.now(), cursor: await cursorAt(tree.marker) });
      expect(result.paths).toEqual(expected);
    });
  }

  it('reports sizes and mtimes as the disk has them, and every file on a first run', async () => {
    const tree = await buildTree(4);
    const { instance } = subject({}, tree.root);
    const result = await run(instance, { now: Date.now() });
    expect(result.paths).toEqual([...tree.files].sort());
    for (const file of result.files.slice(0, 50)) {
      const stats = await stat(path.join(tree.root, file.path));
      if (!isCandidateFile(file)) throw new Error(`${file.path}: ${file.kind}`);
      expect({ size: file.size, mtimeMs: file.mtimeMs }).toEqual({
        size: stats.size,
        mtimeMs: stats.mtimeMs,
      });
    }
    expect(instance.describe()).toMatchObject({
      cutoff: 'everything',
      specialFiles: 1,
      skippedSymlinks: 2,
    });
  });

  it(
    'takes a file whose mtime equals the cutoff, which find -newer (strictly newer) leaves ' +
      'out',
    async () => {
      const root = await tempDir();
      const cutoff = Date.parse('2026-01-01T00:00:00.000Z');
      await writeFiles(root, {
        before: new Date(cutoff - 1),
        at: new Date(cutoff),
        after: new Date(cutoff + 1),
      });
      const marker = path.join(root, 'at');
      await utimes(marker, new Date(cutoff), new Date(cutoff));
      const { instance } = subject({ ctime: false }, root);
      const result = await run(instance, {
        now: Date.now(),
        cursor: { cutoff: new Date(cutoff).toISOString() },
      });
      // find -newer is strictly newer; the cutoff itself is taken too (a time at the cutoff may be
      // after the last walk).
      expect(await findNewer(root, marker, { ctime: false })).toEqual(['after']);
      expect(result.paths).toEqual(['after', 'at']);
    },
  );
});
