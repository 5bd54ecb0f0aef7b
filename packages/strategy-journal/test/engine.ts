/**
 * Runs a journal job through the real engine against the local S3 server: a fresh bucket, a
 * source with files, a journal beside it, and sync/plan helpers that collect what the hooks
 * reported.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';
import {
  definePlugin,
  openPlan,
  resolveConfig,
  stateFilePath,
  syncJob,
  type FileEvent,
  type PlanItem,
  type ResolvedJob,
  type RunOptions,
  type RunStats,
} from '@recsync/framework/internal';
import { createTestClient } from '@recsync/framework/testing';
import { journal, type JournalOptions } from '../src/index.js';
import { addFiles, archive } from './helpers.js';

export interface SyncResult {
  readonly stats: RunStats;
  readonly events: FileEvent[];
  readonly warnings: { code: string; message: string }[];
  uploaded(): string[];
}

export async function journalJob(
  options: {
    files?: string[];
    strategy?: Partial<JournalOptions>;
    job?: Record<string, unknown>;
  } = {},
) {
  const endpoint = inject('s3Endpoint');
  const client = createTestClient(endpoint);
  const bucket = `j-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const dirs = await archive(options.files ?? []);
  const journalFile = path.join(dirs.journalDir, 'written.log');
  const stateDir = path.join(dirs.root, 'state');

  const makeJob = async (): Promise<ResolvedJob> => {
    const config = {
      stateDir,
      jobs: {
        rec: {
          source: dirs.source,
          target: { bucket, endpoint, forcePathStyle: true },
          strategy: journal({ path: journalFile, ...options.strategy } as JournalOptions),
          filters: { settle: 0 },
          upload: { concurrency: 4 },
          ...options.job,
        },
      },
    };
    return (await resolveConfig(config, { importModule: (s) => import(s) })).jobs[0]!;
  };

  const sync = async (runOptions: RunOptions = {}): Promise<SyncResult> => {
    const events: FileEvent[] = [];
    const warnings: { code: string; message: string }[] = [];
    const recorder = definePlugin({
      name: 'test:recorder',
      apply(hooks) {
        for (const hook of [hooks.uploaded, hooks.skipped, hooks.uploadFailed])
          hook.tap('test', (e) => void events.push(e));
        hooks.warning.tap('test', (w) => void warnings.push({ code: w.code, message: w.message }));
      },
    });
    const stats = await syncJob(await makeJob(), {
      ...runOptions,
      plugins: [recorder, ...(runOptions.plugins ?? [])],
    });
    return {
      stats,
      events,
      warnings,
      uploaded: () =>
        events
          .filter((e) => e.outcome === 'uploaded')
          .map((e) => e.key)
          .sort(),
    };
  };

  const plan = async (runOptions: RunOptions = {}): Promise<PlanItem[]> => {
    const run = await openPlan(await makeJob(), runOptions);
    const items: PlanItem[] = [];
    for await (const item of run.items) items.push(item);
    return items;
  };

  return {
    ...dirs,
    bucket,
    client,
    journal: journalFile,
    makeJob,
    sync,
    plan,
    addFiles: (files: string[]) => addFiles(dirs.source, files),
    keys: () => client.keys(bucket),
    /** The saved state, as on disk. */
    state: async () => JSON.parse(await readFile(stateFilePath({ stateDir, name: 'rec' }), 'utf8')),
    /** True when each path is in the bucket with exactly the local bytes. */
    async byteExact(paths: string[]): Promise<boolean> {
      for (const p of paths) {
        const local = await readFile(path.join(dirs.source, p));
        if (Buffer.compare(await client.get(bucket, p), local) !== 0) return false;
      }
      return true;
    },
    dispose: () => client.destroy(),
  };
}
