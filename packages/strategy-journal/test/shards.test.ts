/**
 * A journal read by shards: every shard reads every segment and keeps its own share. Committed
 * segments are deleted only once every shard's saved cursor is past them, and a shard that
 * cannot see its siblings' states refuses to run rather than delete what they still need.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardOfKey, syncJob } from '@recsync/framework/internal';
import { appendLines } from './helpers.js';
import { journalJob } from './engine.js';

const FILES = ['a.wav', 'b.wav', 'c.wav', 'd.wav', 'e.wav', 'f.wav', 'g.wav', 'h.wav'];
const LATER = () => new Date(Date.now() + 3_600_000);

describe('journal segments with shards', () => {
  it('deletes a committed segment only after every shard committed past it', async () => {
    const j = await journalJob({
      files: FILES,
      strategy: { path: undefined, directory: 'journal', committedSegments: 'delete' },
    });
    const dir = path.join(j.source, 'journal');
    await mkdir(dir);
    await appendLines(path.join(dir, '001.log'), FILES.slice(0, 4));
    await appendLines(path.join(dir, '002.log'), FILES.slice(4));
    const base = await j.makeJob();
    const shard = (index: number) => ({ ...base, shard: { index, count: 2 } });

    const zero = await syncJob(shard(0), { now: LATER() });
    expect(zero.exitCode).toBe(0);
    expect(existsSync(path.join(dir, '001.log'))).toBe(true); // shard 1 has not read it yet

    // Its own state is there, its sibling's is not: from here on, deleting is not safe.
    await expect(syncJob(shard(0), { now: LATER() })).rejects.toMatchObject({
      code: 'E_SHARDS_UNSAFE',
      exitCode: 2,
    });

    const one = await syncJob(shard(1), { now: LATER() });
    expect(one.exitCode).toBe(0);
    expect(existsSync(path.join(dir, '001.log'))).toBe(false); // both cursors are in 002.log now
    expect(existsSync(path.join(dir, '002.log'))).toBe(true);
    const keys = await j.keys();
    expect(keys.filter((k) => FILES.includes(k)).sort()).toEqual(FILES);
    expect(FILES.filter((f) => shardOfKey(f, 2) === 0).length).toBeGreaterThan(0);
    expect((await syncJob(shard(0), { now: LATER() })).exitCode).toBe(0);
    await j.dispose();
  });
});
