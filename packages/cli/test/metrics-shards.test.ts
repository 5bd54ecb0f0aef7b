/** The metrics file has one set of gauges per shard of a sharded job (label `shard="I/N"`). */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobState, resolveConfig } from '@recsync/framework/internal';
import { dateFolders } from '@recsync/strategy-date';
import { renderMetrics } from '../src/metrics-file.js';

describe('metrics per shard', () => {
  it('labels each shard, and keeps a job run whole unlabelled', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'recsync-metrics-'));
    const strategy = dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' });
    const target = { bucket: 'b', endpoint: 'http://127.0.0.1:9', forcePathStyle: true };
    const config = {
      stateDir,
      jobs: {
        rec: { source: stateDir, target, strategy },
        whole: { source: stateDir, target, strategy },
      },
    };
    const [rec, whole] = (await resolveConfig(config, { importModule: (s) => import(s) })).jobs;
    for (const index of [0, 1]) {
      const state = await JobState.load({ ...rec, shard: { index, count: 2 } });
      for (let i = 0; i < index + 1; i++)
        state.pending.set(`f${i}`, {
          partition: 'p',
          reason: 'deferred',
          detail: 'young',
          attempts: 1,
          firstSeen: '',
          lastTried: '',
        });
      await state.save();
    }
    await (await JobState.load(whole)).save();
    const text = await renderMetrics([rec, whole]);
    expect(text).toContain('recsync_pending_files{job="rec",shard="0/2"} 1');
    expect(text).toContain('recsync_pending_files{job="rec",shard="1/2"} 2');
    expect(text).toContain('recsync_pending_files{job="whole"} 0');
  });
});
