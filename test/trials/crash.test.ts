/**
 * Crash trials in the suite: a few seeded trials per strategy, each stopping `recsync sync`
 * (a real child process) one or two times at random moments with SIGKILL, SIGINT, SIGTERM or a
 * double signal, then rerunning it to the end. `npm run trials` runs many more.
 * Each failure names its seed (the archive, the stop moments and the bucket checks follow from it).
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { definePlugin, syncJob } from '@recsync/framework';
import { createTestClient } from '@recsync/framework/testing';
import { emptyCrashFigures, runCrashTrial, type StopKind } from '../support/crash-trial.js';
import { createTrialArchive, SMALL_ARCHIVE, type TrialArchive } from '../support/trial-archive.js';
import { runCli } from '../support/cli.js';
import {
  checkBucket,
  createTrialJob,
  uncoveredFiles,
  writeJournal,
  type TrialStrategy,
} from '../support/trial-job.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
const figures = emptyCrashFigures();
const horizon = { ms: 2500 };
let archive: TrialArchive;
let journal: string;

beforeAll(async () => {
  archive = await createTrialArchive(SMALL_ARCHIVE, 20261202);
  journal = await writeJournal(archive, endpoint);
});
afterAll(async () => {
  if (process.env.TRIAL_FIGURES) console.log(JSON.stringify(figures, null, 1));
  client.destroy();
  await archive?.cleanup();
});

const cases: { strategy: TrialStrategy; seed: number; stops: readonly StopKind[] }[] = [
  { strategy: 'date', seed: 101, stops: ['SIGKILL'] },
  { strategy: 'date', seed: 102, stops: ['SIGINT', 'SIGKILL'] },
  { strategy: 'mtime', seed: 201, stops: ['SIGKILL'] },
  { strategy: 'mtime', seed: 202, stops: ['SIGTERM', 'SIGKILL'] },
  { strategy: 'journal', seed: 301, stops: ['SIGKILL'] },
  { strategy: 'journal', seed: 302, stops: ['double', 'SIGKILL'] },
];

describe('crash trials: recsync sync stopped at random moments, then rerun', () => {
  for (const c of cases) {
    it(`${c.strategy}: ${c.stops.join(', then ')} (seed ${c.seed})`, async () => {
      const problems = await runCrashTrial(
        {
          strategy: c.strategy,
          seed: c.seed,
          archive,
          endpoint,
          client,
          journal,
          stops: c.stops,
          horizon,
        },
        figures,
      );
      expect(problems, `seed ${c.seed}`).toEqual([]);
    }, 150_000); // a few child processes each: generous for a loaded CI machine
  }

  it('the checks see a lost file: an object removed after a complete run', async () => {
    const trial = await createTrialJob({ strategy: 'date', archive, endpoint, client });
    expect((await runCli(['sync'], { cwd: trial.cwd })).code).toBe(0);
    const victim = archive.files[archive.files.length - 1]!.path;
    await client.client.send(new DeleteObjectCommand({ Bucket: trial.bucket, Key: victim }));
    expect(await uncoveredFiles(trial, archive, client)).toEqual([victim]);
    const bucket = await checkBucket(client, trial.bucket, archive);
    expect(bucket.missing).toEqual([victim]);
    expect(bucket.checked).toBe(archive.files.length - 1);
  });

  // A graceful stop that lands while a partition's files are being listed ends the strategy's
  // walk early; the partition must not count as done (found by `npm run trials`: date, SIGTERM
  // after 13 files left a whole day folder never uploaded, every later run exit 0).
  it('a graceful stop while a partition is listed leaves it not done', async () => {
    const trial = await createTrialJob({ strategy: 'date', archive, endpoint, client });
    const stop = new AbortController();
    const stopAtSecond = definePlugin({
      name: 'test:stop-at-second-partition',
      apply(hooks) {
        hooks.partition.tap('test', (info) => void (info.index === 1 && stop.abort()));
      },
    });
    const stats = await syncJob(trial.job, { signal: stop.signal, plugins: [stopAtSecond] });
    expect(stats.interrupted).toBe(true);
    expect(await uncoveredFiles(trial, archive, client)).toEqual([]);
  });

  it('stopped runs for real and checked every file', () => {
    const stopped = Object.values(figures.stops).reduce((a, b) => a + b, 0);
    expect(figures.trials).toBe(cases.length);
    expect(stopped).toBeGreaterThan(0);
    expect(figures.filesChecked).toBe(cases.length * archive.files.length);
    expect(figures.uncovered + figures.filesLost + figures.filesCorrupt).toBe(0);
  });
});
