/**
 * Test harness for in-process runs against the real local S3 server: a fixture archive, a
 * fresh bucket, a resolved job (through the real config schema), and sync/plan helpers that
 * collect what the hooks reported.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, readFile } from 'node:fs/promises';
import { afterEach, inject } from 'vitest';
import {
  definePlugin,
  stateFilePath,
  openPlan,
  resolveConfig,
  syncJob,
  type FileEvent,
  type PlanItem,
  type ResolvedJob,
  type RunOptions,
  type RunStats,
} from '@recsync/framework/internal';
import {
  createTestClient,
  createTree,
  type FixtureTree,
  type TreeSpec,
} from '@recsync/framework/testing';
import { dateFolders, type DateFoldersOptions } from '@recsync/strategy-date';

export interface HarnessOptions {
  readonly files: TreeSpec;
  readonly strategy?: DateFoldersOptions;
  readonly job?: Record<string, unknown>;
  readonly target?: Record<string, unknown>;
  readonly bucket?: string | null;
  /** Another S3-compatible server than the suite's s3rver (e.g. fauxqs). */
  readonly endpoint?: string;
}

export interface SyncResult {
  readonly stats: RunStats;
  readonly events: FileEvent[];
  readonly warnings: string[];
  uploadedKeys(): string[];
}

export async function harness(options: HarnessOptions) {
  const endpoint = options.endpoint ?? inject('s3Endpoint');
  const client = createTestClient(endpoint);
  const bucket =
    options.bucket === undefined ? `t-${randomBytes(5).toString('hex')}` : options.bucket;
  if (bucket && options.bucket === undefined) await client.createBucket(bucket);
  const tree: FixtureTree = await createTree(options.files);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'recsync-state-'));

  const makeJob = async (
    overrides: {
      target?: Record<string, unknown>;
      job?: Record<string, unknown>;
      shard?: ResolvedJob['shard'];
    } = {},
  ): Promise<ResolvedJob> => {
    const config = {
      stateDir,
      jobs: {
        rec: {
          source: tree.root,
          target: {
            bucket: bucket ?? 'missing',
            endpoint,
            forcePathStyle: true,
            ...options.target,
            ...overrides.target,
          },
          strategy: dateFolders({
            layout: '{yyyy}-{MM}-{dd}',
            timezone: 'UTC',
            grace: '1h',
            lookback: 2,
            ...options.strategy,
          }),
          upload: { concurrency: 8 },
          ...options.job,
          ...overrides.job,
        },
      },
    };
    const job = (await resolveConfig(config, { importModule: (s) => import(s) })).jobs[0];
    return overrides.shard ? { ...job, shard: overrides.shard } : job;
  };

  const sync = async (runOptions: RunOptions = {}, overrides = {}): Promise<SyncResult> => {
    const events: FileEvent[] = [];
    const warnings: string[] = [];
    const recorder = definePlugin({
      name: 'test:recorder',
      apply(hooks) {
        for (const hook of [hooks.uploaded, hooks.skipped, hooks.uploadFailed])
          hook.tap('test', (e) => void events.push(e));
        hooks.warning.tap('test', (w) => void warnings.push(w.message));
      },
    });
    const stats = await syncJob(await makeJob(overrides), {
      ...runOptions,
      plugins: [recorder, ...(runOptions.plugins ?? [])],
    });
    return {
      stats,
      events,
      warnings,
      uploadedKeys: () =>
        events
          .filter((e) => e.outcome === 'uploaded')
          .map((e) => e.key)
          .sort(),
    };
  };

  const plan = async (runOptions: RunOptions = {}, overrides = {}): Promise<PlanItem[]> => {
    const run = await openPlan(await makeJob(overrides), runOptions);
    const items: PlanItem[] = [];
    for await (const item of run.items) items.push(item);
    return items;
  };

  return {
    endpoint,
    client,
    bucket: bucket!,
    tree,
    stateDir,
    makeJob,
    sync,
    plan,
    /** Every key in the bucket, sorted. */
    keys: (prefix?: string) => client.keys(bucket!, prefix),
    /** True when every listed path is in the bucket with exactly the local bytes. */
    async byteExact(paths: string[]): Promise<boolean> {
      for (const p of paths) {
        const remote = await client.get(bucket!, p);
        if (Buffer.compare(remote, tree.contentOf(p, options.files[p] ?? '')) !== 0) return false;
      }
      return true;
    },
    dispose: async () => {
      client.destroy();
      await tree.cleanup();
    },
  };
}

/** `count` files in the folder of `day`, with mtimes inside that day. */
export function dayFiles(day: string, count: number, size = 2048, prefix = 'call'): TreeSpec {
  const spec: TreeSpec = {};
  for (let i = 0; i < count; i++) {
    spec[`${day}/${prefix}-${String(i).padStart(3, '0')}.wav`] = {
      size: size + i,
      mtime: `${day}T0${i % 10}:15:00Z`,
    };
  }
  return spec;
}

export function days(first: string, count: number): string[] {
  const out: string[] = [];
  const start = Date.parse(`${first}T00:00:00Z`);
  for (let i = 0; i < count; i++)
    out.push(new Date(start + i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

/**
 * Harnesses that live for one test: `setup` makes one and disposes of it after the test;
 * `defer` adds any other clean-up. Call at the top of a test file.
 */
export function harnessPerTest() {
  let cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups) await c();
    cleanups = [];
  });
  return {
    async setup(options: HarnessOptions) {
      const h = await harness(options);
      cleanups.push(h.dispose);
      return h;
    },
    defer(cleanup: () => Promise<unknown>): void {
      cleanups.push(cleanup);
    },
  };
}

/** The saved state of the harness's job, as JSON on disk. */
export async function readJobState(stateDir: string) {
  return JSON.parse(await readFile(stateFilePath({ stateDir, name: 'rec' }), 'utf8'));
}
