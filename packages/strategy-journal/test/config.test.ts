import { describe, expect, it } from 'vitest';
import {
  defineStrategy,
  fingerprintOf,
  resolveConfig,
  useStrategy,
  z,
} from '@recsync/framework/internal';
import { journal, journalJob, STRATEGY_NAME } from '../src/internal.js';

const target = { bucket: 'b' };
const other = defineStrategy({
  name: 'test-other',
  options: z.strictObject({}),
  cursor: z.null(),
  create: () => ({ partitions: async function* () {}, advance: () => null }),
});

async function jobsOf(jobs: Record<string, unknown>) {
  return (await resolveConfig({ jobs }, { cwd: '/srv', importModule: (s) => import(s) })).jobs;
}

describe('the journal strategy in a config', () => {
  it('loads from a data-only config, with the remote check off by default', async () => {
    const [job] = await jobsOf({
      rec: {
        source: 'REC',
        target,
        strategy: { use: '@recsync/strategy-journal', with: { path: 'j/written.log' } },
      },
    });
    expect(job!.strategy.definition.name).toBe(STRATEGY_NAME);
    expect(job!.remoteCheck).toBe('none');
    expect(journalJob([job!]).journal).toEqual({ kind: 'file', path: '/srv/REC/j/written.log' });
  });

  it('keeps the state identity to the journal location: tuning options may change', async () => {
    const [a] = await jobsOf({
      rec: { source: '/r', target, strategy: journal({ directory: '/j' }) },
    });
    const [b] = await jobsOf({
      rec: {
        source: '/r',
        target,
        strategy: journal({
          directory: '/j',
          linesPerPartition: 50,
          missingTimeout: '1d',
          start: 'end',
        }),
      },
    });
    const [c] = await jobsOf({
      rec: { source: '/r', target, strategy: journal({ directory: '/k' }) },
    });
    expect(fingerprintOf(a!)).toEqual(fingerprintOf(b!));
    expect(fingerprintOf(a!)).not.toEqual(fingerprintOf(c!));
  });

  it('finds the one job a producer appends to, or says which to pick', async () => {
    const jobs = await jobsOf({
      calls: { source: '/r', target, strategy: journal({ path: '/j/calls.log' }) },
      video: { source: '/v', target, strategy: journal({ directory: '/j/video' }) },
      dated: { source: '/d', target, strategy: useStrategy(other, {}) },
    });
    expect(journalJob(jobs, 'video').journal).toEqual({ kind: 'directory', path: '/j/video' });
    expect(() => journalJob(jobs)).toThrow(
      /several jobs use the journal strategy \(calls, video\)/,
    );
    expect(() => journalJob(jobs, 'dated')).toThrow(
      'job "dated" uses the strategy test-other, not a journal',
    );
    expect(() => journalJob(jobs, 'nope')).toThrow('no job named "nope"');
    expect(() => journalJob(jobs.filter((j) => j.name === 'dated'))).toThrow(
      'no job uses the journal strategy',
    );
  });
});
