/**
 * Symlinks: skipped and counted by default; followed on request, with loops cut and the root kept.
 */
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, subject, tempDir, writeFiles } from './helpers.js';

const OLD = new Date('2024-05-01T00:00:00Z');

async function linkedTree() {
  const root = await tempDir();
  const outside = await tempDir('recsync-outside-');
  await writeFiles(root, { 'a/b/file.mp4': OLD, 'c/other.mp4': OLD });
  await writeFiles(outside, { 'secret.txt': OLD });
  await symlink('..', path.join(root, 'a/b/loop')); // → a, an ancestor
  await symlink('../..', path.join(root, 'a/b/up')); // → the root
  await symlink(outside, path.join(root, 'a/out')); // leaves the source
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'c/secret.txt'));
  await symlink('b/file.mp4', path.join(root, 'a/flink'));
  await symlink('missing', path.join(root, 'c/dangling'));
  await symlink('a', path.join(root, 'latest')); // a partition through a link
  await mkdir(path.join(root, 'empty'));
  return root;
}

describe('symlinks', () => {
  it('are skipped and counted unless followed', async () => {
    const root = await linkedTree();
    const { instance } = subject({}, root);
    const result = await run(instance, { now: Date.now() });
    expect(result.ids).toEqual(['.', 'a', 'c', 'empty']);
    expect(result.paths).toEqual(['a/b/file.mp4', 'c/other.mp4']);
    expect(instance.describe()).toMatchObject({ skippedSymlinks: 7 });
  });

  for (const threads of [0, 2]) {
    it(
      `followed (threads: ${threads}): loops are cut, links out of the source refused, files ` +
        'reached through links taken',
      async () => {
        const root = await linkedTree();
        const { instance, warnings } = subject({ threads }, root, { follow: true });
        const result = await run(instance, { now: Date.now() });
        expect(result.ids).toEqual(['a', 'c', 'empty', 'latest']);
        expect(result.paths).toEqual([
          'a/b/file.mp4',
          'a/flink',
          'c/other.mp4',
          'latest/b/file.mp4',
          'latest/flink',
        ]);
        expect(instance.describe()).toMatchObject({
          symlinkLoops: 4,
          outsideLinks: 3,
          skippedSymlinks: 1,
        });
        expect(warnings.join('\n')).toMatch(/partition a: 1 symlink\(s\) lead outside the source/);
        expect(warnings.join('\n')).toMatch(/symlink loop\(s\) cut/);
      },
    );
  }

  it('a link made since the cutoff to an old folder makes all below it candidates', async () => {
    const root = await tempDir();
    await writeFiles(root, { 'archive/2024/a.mp4': OLD });
    const { instance } = subject({}, root, { follow: true });
    // the tree's ctimes are newer: use mtime only below
    const cutoff = new Date(Date.now() - 60_000).toISOString();
    await symlink('2024', path.join(root, 'archive/current'));
    const mtimeOnly = await run(subject({ ctime: false }, root, { follow: true }).instance, {
      now: Date.now(),
      cursor: { cutoff },
    });
    expect(mtimeOnly.paths).toEqual([]);
    const withCtime = await run(instance, { now: Date.now(), cursor: { cutoff } });
    expect(withCtime.paths).toContain('archive/current/a.mp4');
  });
});
