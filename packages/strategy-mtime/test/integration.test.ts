/**
 * The strategy in the engine against the local S3 server, on the real clock (ctime cannot be
 * pinned): a first run uploads the archive, a second uploads exactly what changed in between,
 * whichever way it arrived.
 */
import { appendFile, chmod, cp, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openPlan, stateFilePath } from '@recsync/framework/internal';
import { createTestJob, createTree, type FixtureTree } from '@recsync/framework/testing';
import { mtimeCutoff, type MtimeCutoffOptions } from '@recsync/strategy-mtime';
import { tempDir, tick } from './helpers.js';

const OLD = '2024-02-01T08:00:00Z';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(strategy: MtimeCutoffOptions = {}) {
  const tree: FixtureTree = await createTree({
    'cam-1/clip-1.mp4': { size: 2000, mtime: OLD },
    'cam-1/clip-2.mp4': { size: 3000, mtime: OLD },
    'cam-2/2024/clip-3.mp4': { size: 1000, mtime: OLD },
    'index.txt': { size: 10, mtime: OLD },
  });
  const testJob = await createTestJob({
    endpoint: inject('s3Endpoint'),
    source: tree.root,
    name: 'cctv',
    // margin: far above the kernel's timestamp granularity, far below the pauses between steps
    strategy: mtimeCutoff({ margin: '20ms', ...strategy }),
    job: { filters: { settle: 0 }, upload: { concurrency: 4 } },
  });
  cleanups.push(testJob.dispose, tree.cleanup);
  const job = await testJob.makeJob();
  const sync = async () => {
    await tick();
    const run = await testJob.sync({ now: new Date() });
    await tick();
    const keys = (outcome: string) =>
      run.events
        .filter((e) => e.outcome === outcome)
        .map((e) => e.key)
        .sort();
    return { stats: run.stats, uploaded: keys('uploaded'), present: keys('present') };
  };
  const { client, bucket } = testJob;
  return { job, tree, client, bucket, sync, stateFile: stateFilePath(job) };
}

describe('mtime strategy against the S3 server', () => {
  it('a second run uploads only what changed: new, modified, copied in, moved in', async () => {
    const s = await setup();
    const first = await s.sync();
    expect(first.stats.exitCode).toBe(0);
    expect(first.uploaded).toEqual([
      'cam-1/clip-1.mp4',
      'cam-1/clip-2.mp4',
      'cam-2/2024/clip-3.mp4',
      'index.txt',
    ]);
    const saved = JSON.parse(await readFile(s.stateFile, 'utf8'));
    expect(Date.parse(saved.cursor.cutoff)).toBeGreaterThan(
      Date.parse(first.stats.startedAt) - 1000,
    );

    const outside = await tempDir('recsync-outside-');
    const staged = await createTree(
      {
        'copied.mp4': { size: 50, mtime: OLD },
        'moved.mp4': { size: 60, mtime: OLD },
        'restored/a.mp4': { size: 70, mtime: OLD },
      },
      { root: outside },
    );
    await s.tree.write({ 'cam-3/new.mp4': { size: 400 } });
    await appendFile(s.tree.path('cam-1/clip-2.mp4'), 'appended');
    await cp(staged.path('copied.mp4'), s.tree.path('cam-2/copied.mp4'), {
      preserveTimestamps: true,
    });
    await rename(staged.path('moved.mp4'), s.tree.path('cam-2/2024/moved.mp4'));
    await rename(path.join(outside, 'restored'), s.tree.path('cam-1/restored'));
    // found by its ctime, already there: not uploaded again
    await chmod(s.tree.path('cam-1/clip-1.mp4'), 0o600);

    const second = await s.sync();
    expect(second.stats.exitCode).toBe(0);
    expect(second.uploaded).toEqual([
      'cam-1/clip-2.mp4',
      'cam-1/restored/a.mp4',
      'cam-2/2024/moved.mp4',
      'cam-2/copied.mp4',
      'cam-3/new.mp4',
    ]);
    expect(second.present).toEqual(['cam-1/clip-1.mp4']);
    expect(await s.client.get(s.bucket, 'cam-1/clip-2.mp4')).toEqual(
      await readFile(s.tree.path('cam-1/clip-2.mp4')),
    );

    const third = await s.sync();
    expect(third.uploaded).toEqual([]);
    expect(third.stats.counts.present.files).toBe(0); // nothing was even a candidate
  });

  it('plan shows the cutoff and the counts, and changes nothing', async () => {
    const s = await setup({ writeOnce: true });
    await s.sync();
    await s.tree.write({ 'cam-1/later.mp4': { size: 5 } });
    await tick();
    const plan = await openPlan(s.job, { now: new Date() });
    const uploads: string[] = [];
    for await (const item of plan.items)
      if (item.type === 'file' && item.action === 'upload') uploads.push(item.path);
    expect(uploads).toEqual(['cam-1/later.mp4']);
    const facts = plan.facts();
    expect(facts).toMatchObject({
      rule: 'mtime or ctime',
      writeOnce: true,
      cutoff: (plan.cursor as { cutoff: string }).cutoff,
    });
    expect(facts).toHaveProperty('dirsWalked');
    expect(facts).toHaveProperty('prunedDirs');
    expect((await s.sync()).uploaded).toEqual(['cam-1/later.mp4']);
  });
});
