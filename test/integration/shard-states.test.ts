/**
 * Per-shard states in-process: each shard saves its own state file, and `state adopt` /
 * `state reset` act on every shard's state of the job.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adoptJobState,
  JobState,
  resetJobState,
  syncJob,
  type ResolvedJob,
} from '@recsync/framework/internal';
import { dayFiles, harness } from '../support/harness.js';

describe('shard states', () => {
  it('adopt and reset act on every shard of the job', async () => {
    const h = await harness({ files: dayFiles('2026-11-20', 6) });
    const now = new Date('2026-11-22T12:00:00Z');
    const base = await h.makeJob();
    const shard = (job: ResolvedJob, index: number): ResolvedJob => ({
      ...job,
      shard: { index, count: 2 },
    });
    const cursors: unknown[] = [];
    for (const i of [0, 1]) {
      const stats = await syncJob(shard(base, i), { now });
      expect(stats.exitCode).toBe(0);
      cursors.push(stats.cursor);
    }
    expect(cursors[0]).toBeTruthy();
    for (const i of [0, 1])
      expect(existsSync(path.join(h.stateDir, `rec.shard-${i}-of-2.state.json`))).toBe(true);
    expect((await h.keys()).length).toBe(6);

    const moved = await h.makeJob({ target: { prefix: 'moved/' } });
    for (const i of [0, 1])
      await expect(JobState.load(shard(moved, i))).rejects.toMatchObject({
        code: 'E_STATE_MISMATCH',
      });
    const adopted = await adoptJobState(moved, { warn: () => undefined });
    expect(adopted?.states).toBe(2);
    for (const i of [0, 1])
      expect((await JobState.load(shard(moved, i))).cursor).toEqual(cursors[i]);

    const backups = await resetJobState(moved, { warn: () => undefined });
    expect(backups).toHaveLength(2);
    for (const i of [0, 1]) expect((await JobState.load(shard(moved, i))).exists).toBe(false);
    await h.dispose();
  });
});
