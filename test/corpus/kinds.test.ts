/**
 * Bad-input corpus: kinds of entries that are not regular files. None may stop the run or
 * hold back the regular files beside it; each is named in a warning (aws-cli and rsync skip
 * them too), and symlinks obey `followSymlinks` and the source root.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dayFiles, harness, harnessPerTest } from '../support/harness.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const DAY = '2026-11-24';
const asRoot = process.getuid?.() === 0;

const each = harnessPerTest();

async function setup(followSymlinks = false) {
  const h = await harness({ files: dayFiles(DAY, 3), job: { followSymlinks } });
  each.defer(h.dispose);
  return { h, day: path.join(h.tree.root, DAY) };
}

const regular = Object.keys(dayFiles(DAY, 3)).sort();

describe('entries that are not regular files', () => {
  it('a FIFO is skipped with a warning (never opened: opening one would block)', async () => {
    const { h, day } = await setup();
    execFileSync('mkfifo', [path.join(day, 'pipe.wav')]);
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(run.uploadedKeys()).toEqual(regular);
    expect(run.warnings.join('\n')).toContain(
      `partition ${DAY}: skipped 1 special file(s) (FIFO, socket, device)`,
    );
  });

  it('a socket is skipped with a warning', async () => {
    const { h, day } = await setup();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(day, 'agent.sock'), resolve));
    each.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(run.uploadedKeys()).toEqual(regular);
    expect(run.warnings.join('\n')).toContain('1 special file(s)');
  });

  it.runIf(asRoot)('a device node is skipped with a warning (needs root to create)', async () => {
    const { h, day } = await setup();
    execFileSync('mknod', [path.join(day, 'null.wav'), 'c', '1', '3']);
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(run.uploadedKeys()).toEqual(regular);
    expect(run.warnings.join('\n')).toContain('1 special file(s)');
  });

  it('a symlink is not followed by default, and is named in a warning', async () => {
    const { h, day } = await setup();
    await symlink(path.join(day, 'call-000.wav'), path.join(day, 'link.wav'));
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(run.uploadedKeys()).toEqual(regular);
    expect(run.warnings.join('\n')).toContain('1 symlink(s) not followed');
  });

  it('a dangling symlink is skipped with a warning, with followSymlinks on too', async () => {
    const { h, day } = await setup(true);
    await symlink(path.join(day, 'gone.wav'), path.join(day, 'dangling.wav'));
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(run.uploadedKeys()).toEqual(regular);
    expect(run.warnings.join('\n')).toContain(
      '1 symlink(s) not followed (followSymlinks is off, or dangling)',
    );
  });

  it(
    'followed symlinks to a file and to a folder inside the source are backed up under the ' +
      'link name',
    async () => {
      const { h, day } = await setup(true);
      await h.tree.write({
        'elsewhere/inside.wav': { content: 'inside', mtime: `${DAY}T09:00:00Z` },
      });
      await symlink(path.join(day, 'call-000.wav'), path.join(day, 'link.wav'));
      await symlink(path.join(h.tree.root, 'elsewhere'), path.join(day, 'linked-dir'));
      const run = await h.sync({ now: NOW });
      expect(run.stats.exitCode).toBe(0);
      expect(run.uploadedKeys()).toEqual(
        [...regular, `${DAY}/link.wav`, `${DAY}/linked-dir/inside.wav`].sort(),
      );
    },
  );

  it('a followed symlink out of the source is refused with a warning (rule 6)', async () => {
    const { h, day } = await setup(true);
    const outside = await harness({ files: { 'secret.txt': 'secret' }, bucket: null });
    each.defer(outside.dispose);
    await symlink(path.join(outside.tree.root, 'secret.txt'), path.join(day, 'escape.wav'));
    await symlink(outside.tree.root, path.join(day, 'escape-dir'));
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(run.uploadedKeys()).toEqual(regular);
    expect(run.warnings.join('\n')).toContain('2 symlink(s) leading outside the source');
  });

  it('a symlink loop ends (each folder is read once) with followSymlinks on', async () => {
    const { h, day } = await setup(true);
    await mkdir(path.join(day, 'sub'));
    await symlink(day, path.join(day, 'sub', 'loop'));
    await symlink(path.join(day, 'self'), path.join(day, 'self')); // a link to itself: ELOOP
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(run.uploadedKeys()).toEqual(regular);
  });
});
