/**
 * Rule 10, a target that fails mid-run: the run stops with exit 4, says what it did before,
 * and pours nothing into the pending set.
 */
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { JobState } from '@recsync/framework/internal';
import { dayFiles, harness, harnessPerTest } from '../support/harness.js';
import { startFaultProxy } from '../support/fault-proxy.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const each = harnessPerTest();

async function setup(mode: '503' | 'gone') {
  const proxy = await startFaultProxy(inject('s3Endpoint'), { passPuts: 6, mode });
  const files = { ...dayFiles('2026-11-23', 30), ...dayFiles('2026-11-24', 30) };
  const h = await harness({
    files,
    target: { endpoint: proxy.endpoint },
    job: { upload: { concurrency: 4, attempts: 2 } },
  });
  each.defer(proxy.close, h.dispose);
  return { h, proxy };
}

describe('a target that fails during the run', () => {
  it('503 to every upload: exit 4 after a failure streak, nothing pending', async () => {
    const { h } = await setup('503');
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(4);
    expect(run.stats.error?.code).toBe('E_TARGET_FAILING');
    expect(run.stats.pending).toBe(0);
    expect((await JobState.load(await h.makeJob())).pending.size).toBe(0);
    const uploaded = (await h.keys()).length;
    expect(run.stats.counts.uploaded.files).toBe(uploaded);
    expect(run.stats.error?.message).toContain(
      `Before that, this run uploaded ${uploaded} file(s)`,
    );
    expect(run.stats.error?.message).toContain('No file was marked pending because of the target');
  });

  it(
    'an endpoint that goes away: exit 4 E_TARGET_UNREACHABLE, says what was uploaded, ' +
      'nothing pending',
    async () => {
      const { h } = await setup('gone');
      const run = await h.sync({ now: NOW });
      expect(run.stats.exitCode).toBe(4);
      expect(run.stats.error?.code).toBe('E_TARGET_UNREACHABLE');
      expect(run.stats.pending).toBe(0);
      // Replies cut off with the connections: the store may hold more than the run saw confirmed.
      const uploaded = run.stats.counts.uploaded.files;
      expect(uploaded).toBeGreaterThan(0);
      expect(uploaded).toBeLessThanOrEqual((await h.keys()).length);
      expect(run.stats.error?.message).toContain(
        `Before that, this run uploaded ${uploaded} file(s)`,
      );
      expect(`${run.stats.error?.message} ${run.stats.error?.hint}`).not.toContain(
        'nothing was changed',
      );
    },
  );
});
