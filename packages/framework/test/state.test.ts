import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  acquireJobLease,
  defineStrategy,
  JobState,
  resolveConfig,
  useStrategy,
  type ResolvedJob,
} from '../src/internal.js';

const strategy = defineStrategy({
  name: 'fake',
  options: z.strictObject({ layout: z.string().default('x'), lookback: z.number().default(1) }),
  cursor: z.strictObject({ through: z.string() }),
  create: () => ({ partitions: async function* () {}, advance: (c) => c }),
  features: { identity: (o) => ({ layout: o.layout }) },
});

async function job(
  dir: string,
  target: Record<string, unknown> = { bucket: 'a' },
  options = {},
): Promise<ResolvedJob> {
  const config = {
    stateDir: dir,
    jobs: { rec: { source: '/src', target, strategy: useStrategy(strategy, options) } },
  };
  return (await resolveConfig(config, { importModule: async () => ({}) })).jobs[0];
}

describe('job state', () => {
  it('round-trips cursor and pending set through an atomic write', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-state-'));
    const state = await JobState.load(await job(dir));
    expect(state.exists).toBe(false);
    state.cursor = { through: '2026-11-24' };
    state.pending.set('2026-11-25/a.wav', {
      partition: '2026-11-25',
      reason: 'failed',
      detail: 'EIO',
      attempts: 4,
      firstSeen: 't',
      lastTried: 't',
    });
    await state.save();
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const again = await JobState.load(await job(dir));
    expect(again.cursor).toEqual({ through: '2026-11-24' });
    expect([...again.pending.keys()]).toEqual(['2026-11-25/a.wav']);
  });

  it('refuses state of another bucket or layout, and says how to reset or adopt', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-state-'));
    const state = await JobState.load(await job(dir));
    state.cursor = { through: '2026-11-24' };
    await state.save();
    const error = await JobState.load(await job(dir, { bucket: 'b' })).catch((e) => e);
    expect(error.code).toBe('E_STATE_MISMATCH');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('bucket: state has "a", config has "b"');
    expect(error.hint).toContain('recsync state reset --job rec');
    expect(error.hint).toContain('recsync state adopt --job rec');
    await expect(
      JobState.load(await job(dir, { bucket: 'a' }, { layout: 'y' })),
    ).rejects.toMatchObject({ code: 'E_STATE_MISMATCH' });
    // options outside the identity may change freely
    await expect(
      JobState.load(await job(dir, { bucket: 'a' }, { lookback: 7 })),
    ).resolves.toBeInstanceOf(JobState);
  });

  it('reports a corrupt state file instead of starting over silently', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-state-'));
    await writeFile(path.join(dir, 'rec.state.json'), '{"format":"recsync-state", trunc');
    await expect(JobState.load(await job(dir))).rejects.toMatchObject({ code: 'E_STATE_CORRUPT' });
  });

  it('creates the state file private to its owner (0600)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-state-'));
    const state = await JobState.load(await job(dir));
    await state.save();
    expect((await stat(path.join(dir, 'rec.state.json'))).mode & 0o777).toBe(0o600);
  });

  it('removes temp files left by a killed save, once the next run has the lease', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-state-'));
    const leftovers = [
      '.rec.state.json.4242.1764633600000.tmp',
      '.rec.lock.8c1f2a9e0b3d.tmp',
      '.rec.lock.77aa00ff11ee.stale',
    ];
    for (const name of leftovers)
      await writeFile(path.join(dir, name), '{"format":"recsync-state"');
    await writeFile(path.join(dir, '.other.state.json.1.2.tmp'), 'another job: not ours to remove');
    await writeFile(
      path.join(dir, '.rec.state.json.state.json.1.2.tmp'),
      'job "rec.state.json": not ours either',
    );
    const warnings: string[] = [];
    const lease = await acquireJobLease(await job(dir), {
      command: 'sync',
      warn: (m, code) => warnings.push(`${code} ${m}`),
    });
    await lease.release();
    expect((await readdir(dir)).sort()).toEqual([
      '.other.state.json.1.2.tmp',
      '.rec.state.json.state.json.1.2.tmp',
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^W_LEFTOVER_TEMP removed 3 temp file\(s\) left in .* by an interrupted run/,
    );
  });
});
