import { describe, expect, it } from 'vitest';
import {
  createHooks,
  globFilterPlugin,
  settlePlugin,
  type CandidateFile,
  type PartitionInfo,
} from '../src/internal.js';

const partition: PartitionInfo = { job: 'j', index: 0, id: 'p', closed: true, recheck: false };
const NOW = Date.parse('2026-11-25T12:00:00Z');

async function decide(
  plugins: { apply: (h: ReturnType<typeof createHooks>, c: never) => void }[],
  file: Partial<CandidateFile> & { path: string },
) {
  const hooks = createHooks();
  for (const p of plugins) p.apply(hooks, {} as never);
  return hooks.filter.promise(
    { size: 10, mtimeMs: NOW - 3_600_000, ...file },
    { job: 'j', partition, now: NOW },
  );
}

describe('include/exclude globs', () => {
  it('keeps everything when no globs are set', async () => {
    expect(await decide([globFilterPlugin({})], { path: '2026-11-25/a.tmp' })).toBeUndefined();
  });

  it('matches base-name patterns at any depth and full paths with a slash', async () => {
    const plugin = globFilterPlugin({
      include: ['*.wav', 'meta/**'],
      exclude: ['**/*.tmp', '2026-11-25/private/**'],
    });
    expect(await decide([plugin], { path: '2026-11-25/deep/x/a.wav' })).toBeUndefined();
    expect(await decide([plugin], { path: 'meta/index.json' })).toBeUndefined();
    expect(await decide([plugin], { path: '2026-11-25/a.mp3' })).toEqual({
      outcome: 'excluded',
      reason: expect.stringMatching(/^matches no include pattern \(/),
    });
    expect(await decide([plugin], { path: '2026-11-25/private/a.wav' })).toEqual({
      outcome: 'excluded',
      reason: 'exclude 2026-11-25/private/**',
    });
  });

  it('excludes dot files only when a pattern says so', async () => {
    expect(
      await decide([globFilterPlugin({ include: ['*.wav'] })], { path: 'd/.hidden.wav' }),
    ).toBeUndefined();
    expect(
      await decide([globFilterPlugin({ exclude: ['.*'] })], { path: 'd/.hidden.wav' }),
    ).toEqual({ outcome: 'excluded', reason: 'exclude .*' });
  });

  it('applies size limits as permanent skips', async () => {
    const plugin = globFilterPlugin({ minSize: 5, maxSize: 100 });
    expect(await decide([plugin], { path: 'a', size: 4 })).toEqual({
      outcome: 'excluded',
      reason: 'below minSize',
    });
    expect(await decide([plugin], { path: 'a', size: 101 })).toEqual({
      outcome: 'excluded',
      reason: 'above maxSize',
    });
    expect(await decide([plugin], { path: 'a', size: 100 })).toBeUndefined();
  });
});

describe('settle time', () => {
  it('defers a file younger than the settle time, never excludes it', async () => {
    expect(await decide([settlePlugin(300_000)], { path: 'a', mtimeMs: NOW - 299_000 })).toEqual({
      outcome: 'deferred',
      reason: 'settle 5m',
    });
    expect(
      await decide([settlePlugin(300_000)], { path: 'a', mtimeMs: NOW - 300_000 }),
    ).toBeUndefined();
  });

  it('defers a file from the future (clock skew) and does nothing when settle is 0', async () => {
    expect(
      await decide([settlePlugin(60_000)], { path: 'a', mtimeMs: NOW + 3_600_000 }),
    ).toMatchObject({ outcome: 'deferred' });
    expect(await decide([settlePlugin(0)], { path: 'a', mtimeMs: NOW })).toBeUndefined();
  });

  it(
    'lets an exclude win over a deferral, so excluded temp files never wait in the pending ' +
      'set',
    async () => {
      const plugins = [settlePlugin(300_000), globFilterPlugin({ exclude: ['*.tmp'] })];
      expect(await decide(plugins, { path: 'a.tmp', mtimeMs: NOW })).toEqual({
        outcome: 'excluded',
        reason: 'exclude *.tmp',
      });
    },
  );
});
