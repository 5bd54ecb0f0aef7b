/**
 * The framework's side of operating recsync: config problems in one pass with suggestions, the
 * bounded run history, the cursor in words, the range checked before a run, progress counting
 * and the numbers behind the metrics file.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkRange,
  closestName,
  createHooks,
  createProgressTracker,
  defineStrategy,
  describeCursor,
  emptyCounts,
  jobMetrics,
  resolveConfig,
  useStrategy,
  HISTORY_LIMIT,
  type ResolvedJob,
  type RunStats,
  type StateFile,
} from '../src/internal.js';
import { appendRun, lastSuccessOf, runRecordOf } from '../src/state/history.js';

const worded = defineStrategy({
  name: 'worded',
  options: z.strictObject({ depth: z.number().int().min(1).default(1) }),
  cursor: z.strictObject({ day: z.string() }),
  create: () => ({ partitions: async function* () {}, advance: (c) => c }),
  features: {
    range: {
      accepts: 'days',
      check: (range) => {
        if (range.since && !/^\d{4}-\d{2}-\d{2}$/.test(range.since))
          throw new Error(`--since ${range.since} is not a day`);
      },
    },
    describeCursor: (cursor) => ({
      text: `through ${cursor.day}`,
      time: `${cursor.day}T23:59:59.000Z`,
    }),
  },
});
const plain = defineStrategy({
  name: 'plain',
  options: z.strictObject({}),
  cursor: z.strictObject({ offset: z.number(), file: z.string() }),
  create: () => ({ partitions: async function* () {}, advance: (c) => c }),
});
const importModule = async () => ({});

async function configMessage(config: unknown): Promise<string> {
  try {
    await resolveConfig(config, { importModule });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

function stats(exitCode: number, finishedAt: string, uploaded = 3): RunStats {
  const counts = emptyCounts();
  counts.uploaded = { files: uploaded, bytes: uploaded * 100 };
  counts.failed = { files: exitCode === 1 ? 2 : 0, bytes: 0 };
  return {
    job: 'rec',
    mode: 'sync',
    startedAt: '2026-11-25T01:00:00.000Z',
    finishedAt,
    counts,
    partitions: { total: 1, complete: 1 },
    cursor: null,
    pending: 2,
    exitCode,
    interrupted: false,
  };
}

describe('config problems', () => {
  it('suggests the key meant by a misspelt one, at any depth', async () => {
    const message = await configMessage({
      jobz: {},
      jobs: {
        rec: {
          source: '/a',
          target: { bucket: 'b', prefx: 'x' },
          strategy: useStrategy(worded, {}),
          uplaod: {},
        },
      },
    });
    expect(message).toContain('did you mean "jobs" for "jobz"?');
    expect(message).toContain('did you mean "prefix" for "prefx"?');
    expect(message).toContain('did you mean "upload" for "uplaod"?');
    expect(message).toContain('valid keys here: bucket, prefix');
  });

  it('checks strategy options in the same pass as the rest of the config', async () => {
    const message = await configMessage({
      jobs: {
        rec: {
          source: '/a',
          target: { bucket: 'b', prefx: 'x' },
          strategy: useStrategy(worded, { dept: 2 } as never),
        },
      },
    });
    expect(message).toContain('jobs.rec.target: unknown key "prefx"');
    expect(message).toContain('jobs.rec.strategy: unknown key "dept"');
    expect(message).toContain('did you mean "depth" for "dept"?');
    expect(message).toMatch(/\(2 problems\)/);
  });

  it('offers no suggestion for a word far from every name', () => {
    expect(closestName('zzzzzzzz', ['jobs', 'plugins'])).toBeUndefined();
    expect(closestName('concurency', ['concurrency', 'config'])).toBe('concurrency');
  });

  it('reads metrics.textfile relative to the config file', async () => {
    const resolved = await resolveConfig(
      {
        metrics: { textfile: 'metrics/recsync.prom' },
        jobs: { rec: { source: '/a', target: { bucket: 'b' }, strategy: useStrategy(plain, {}) } },
      },
      { configPath: '/etc/recsync/recsync.config.ts', importModule },
    );
    expect(resolved.metrics).toEqual({ textfile: '/etc/recsync/metrics/recsync.prom' });
  });
});

async function jobWith(strategy: ReturnType<typeof useStrategy>): Promise<ResolvedJob> {
  const resolved = await resolveConfig(
    { jobs: { rec: { source: '/a', target: { bucket: 'b' }, strategy } } },
    { importModule },
  );
  return resolved.jobs[0];
}

describe('cursor in words', () => {
  it('uses the strategy capability, with the time it stands for', async () => {
    const job = await jobWith(useStrategy(worded, {}));
    expect(describeCursor(job.strategy, { day: '2026-11-25' })).toEqual({
      text: 'through 2026-11-25',
      time: '2026-11-25T23:59:59.000Z',
    });
  });

  it('falls back to key-value words, and says when there is no cursor yet', async () => {
    const job = await jobWith(useStrategy(plain, {}));
    expect(describeCursor(job.strategy, { offset: 120, file: 'a.log' })).toEqual({
      text: 'offset 120, file a.log',
    });
    expect(describeCursor(job.strategy, null).text).toMatch(/first run/);
    // A cursor the strategy cannot read is still shown, not an error.
    expect(
      describeCursor((await jobWith(useStrategy(worded, {}))).strategy, { other: [1, 2] }).text,
    ).toBe('other: 2 entries');
  });
});

describe('range checked before a run', () => {
  it('refuses a range for a strategy without one, and a bad value via the capability', async () => {
    await expect(async () =>
      checkRange(await jobWith(useStrategy(plain, {})), { since: '2026-11-01' }),
    ).rejects.toThrow(/mean nothing/);
    const job = await jobWith(useStrategy(worded, {}));
    expect(() => checkRange(job, { since: 'yesterday-ish' })).toThrow(/not a day/);
    expect(() => checkRange(job, { since: '2026-11-01' })).not.toThrow();
  });
});

describe('run history', () => {
  it('keeps the last runs, newest last, and the last success past the bound', () => {
    let history = appendRun(undefined, runRecordOf(stats(0, '2026-11-01T01:05:00.000Z')));
    let lastSuccess = lastSuccessOf(history);
    for (let i = 0; i < HISTORY_LIMIT + 5; i++) {
      history = appendRun(
        history,
        runRecordOf(stats(1, new Date(Date.UTC(2026, 10, 2, i)).toISOString())),
      );
      lastSuccess = lastSuccessOf(history, lastSuccess);
    }
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history.every((r) => r.outcome === 'pending' && r.failed === 2)).toBe(true);
    expect(lastSuccess).toBe('2026-11-01T01:05:00.000Z');
  });
});

describe('metrics numbers', () => {
  it('come from the saved state: last run, last success, pending set and cursor age', async () => {
    const job = await jobWith(useStrategy(worded, {}));
    const history = [
      runRecordOf(stats(0, '2026-11-25T01:10:00.000Z')),
      runRecordOf(stats(1, '2026-11-26T01:10:00.000Z', 7)),
    ];
    const state = {
      format: 'recsync-state',
      version: 1,
      job: 'rec',
      fingerprint: {},
      cursor: { day: '2026-11-25' },
      pending: { 'a.wav': {}, 'b.wav': {} },
      history,
    } as unknown as StateFile;
    const m = jobMetrics(job, state, new Date('2026-11-26T00:00:00.000Z'));
    expect(m).toMatchObject({
      job: 'rec',
      exitCode: 1,
      uploadedFiles: 7,
      uploadedBytes: 700,
      failedFiles: 2,
      pendingFiles: 2,
    });
    expect(m.lastSuccess).toBe(Date.parse('2026-11-25T01:10:00.000Z') / 1000);
    expect(m.cursorAgeSeconds).toBe(1); // the cursor stands for 2026-11-25T23:59:59Z
    expect(jobMetrics(job, undefined, new Date())).toEqual({ job: 'rec', pendingFiles: 0 });
  });
});

describe('progress tracker', () => {
  it('counts discovery, known totals and outcomes from the hooks alone', () => {
    const hooks = createHooks();
    const tracker = createProgressTracker();
    tracker.plugin.apply(hooks, { job: 'rec', source: '/a', mode: 'sync' });
    const info = { job: 'rec', index: 0, id: '2026-11-25', closed: true, recheck: false };
    void hooks.run.promise({
      job: 'rec',
      mode: 'sync',
      source: '/a',
      bucket: 'b',
      prefix: '',
      strategy: 'x',
      facts: {},
      startedAt: '',
    });
    void hooks.partition.promise(info);
    const file = (path: string, action: 'upload' | 'present', size: number) =>
      ({
        type: 'file',
        partitionIndex: 0,
        partition: info.id,
        action,
        path,
        key: path,
        size,
        mtimeMs: 0,
      }) as const;
    hooks.planned.call(file('a', 'upload', 100));
    hooks.planned.call(file('b', 'present', 50));
    expect(tracker.snapshot()).toMatchObject({
      partition: '2026-11-25',
      discovering: true,
      found: 2,
      toUpload: { files: 1, bytes: 100 },
    });
    hooks.planned.call(file('c', 'upload', 300));
    hooks.partitionListed.call(info, {} as never);
    hooks.uploaded.call({
      job: 'rec',
      partition: info.id,
      path: 'a',
      key: 'a',
      size: 100,
      outcome: 'uploaded',
    });
    hooks.uploadFailed.call({
      job: 'rec',
      partition: info.id,
      path: 'c',
      key: 'c',
      size: 300,
      outcome: 'failed',
    });
    hooks.skipped.call({
      job: 'rec',
      partition: info.id,
      path: 'b',
      key: 'b',
      size: 50,
      outcome: 'present',
    });
    expect(tracker.snapshot()).toMatchObject({
      discovering: false,
      partitionsListed: 1,
      toUpload: { files: 2, bytes: 400 },
      processed: { files: 2, bytes: 400 },
      uploaded: { files: 1, bytes: 100 },
      present: 1,
      failed: 1,
    });
  });
});
