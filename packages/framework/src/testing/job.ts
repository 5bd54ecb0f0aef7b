/**
 * One job run through the real engine against a local S3 server, for strategy and plugin
 * tests: a fresh bucket, a state folder, the job resolved through the real config schema, and
 * `sync`/`plan` helpers that collect what the hooks reported.
 *
 *   const job = await createTestJob({ endpoint, source, strategy: myStrategy({ ... }) });
 *   const run = await job.sync({ now: new Date('2026-11-25T12:00:00Z') });
 *   expect(run.uploaded()).toEqual([...]);
 *   await job.dispose();
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  definePlugin,
  openPlan,
  resolveConfig,
  stateFilePath,
  syncJob,
  type FileEvent,
  type PlanItem,
  type Plugin,
  type ResolvedJob,
  type RunOptions,
  type RunStats,
} from '../internal.js';
import { createTestClient, type TestBucketClient } from './client.js';

export interface TestJobOptions {
  /** The S3 server (`startS3Server().endpoint`). */
  readonly endpoint: string;
  /** The job's source folder. */
  readonly source: string;
  /** The job's `strategy`, as a config names it (`dateFolders({...})`). */
  readonly strategy: unknown;
  /** More job settings (`filters`, `upload`, `plugins`…), over the defaults. */
  readonly job?: Record<string, unknown>;
  /** More target settings, over bucket, endpoint and path-style addressing. */
  readonly target?: Record<string, unknown>;
  /** The bucket: by default a new one with a random name; a name: used as it is (not created). */
  readonly bucket?: string;
  /** The state folder: by default a new temporary one, removed by `dispose()`. */
  readonly stateDir?: string;
  /** The job's name (default `rec`). */
  readonly name?: string;
}

/** Per-run changes to the job: `job`/`target` over the options', `shard` to run one shard. */
export interface TestJobOverrides {
  readonly job?: Record<string, unknown>;
  readonly target?: Record<string, unknown>;
  readonly shard?: ResolvedJob['shard'];
}

export interface TestSyncResult {
  readonly stats: RunStats;
  /** Every file event (uploaded, skipped, failed), in the order the hooks fired. */
  readonly events: FileEvent[];
  readonly warnings: { code: string; message: string }[];
  /** The keys uploaded by this run, sorted. */
  uploaded(): string[];
}

/** A state file's JSON, loosely typed for assertions. */
export interface SavedStateJson {
  readonly cursor?: unknown;
  readonly pending: Record<string, unknown>;
  readonly [field: string]: unknown;
}

export interface TestJob {
  readonly endpoint: string;
  readonly client: TestBucketClient;
  readonly bucket: string;
  readonly stateDir: string;
  /** The resolved job, as the CLI would build it from a config file. */
  makeJob(overrides?: TestJobOverrides): Promise<ResolvedJob>;
  sync(options?: RunOptions, overrides?: TestJobOverrides): Promise<TestSyncResult>;
  /** The items `recsync plan` would print, collected. */
  plan(options?: RunOptions, overrides?: TestJobOverrides): Promise<PlanItem[]>;
  /** The job's saved state, as JSON on disk. */
  state(): Promise<SavedStateJson>;
  /** Every key in the bucket under `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>;
  /** Closes the client and removes the state folder it made. */
  dispose(): Promise<void>;
}

/** What a run reported through its hooks, collected by {@link recordEvents}' plugin. */
export interface RecordedEvents {
  /** A plugin to pass in `RunOptions.plugins`. */
  readonly plugin: Plugin;
  /** Every file event (uploaded, skipped, failed), in the order the hooks fired. */
  readonly events: FileEvent[];
  readonly warnings: { code: string; message: string }[];
  /** The keys reported uploaded, sorted. */
  uploaded(): string[];
}

/** A plugin that records a run's file events and warnings. */
export function recordEvents(): RecordedEvents {
  const events: FileEvent[] = [];
  const warnings: { code: string; message: string }[] = [];
  const plugin = definePlugin({
    name: 'test:recorder',
    apply(hooks) {
      for (const hook of [hooks.uploaded, hooks.skipped, hooks.uploadFailed])
        hook.tap('test', (e) => void events.push(e));
      hooks.warning.tap('test', (w) => void warnings.push({ code: w.code, message: w.message }));
    },
  });
  return {
    plugin,
    events,
    warnings,
    uploaded: () =>
      events
        .filter((e) => e.outcome === 'uploaded')
        .map((e) => e.key)
        .sort(),
  };
}

export async function createTestJob(options: TestJobOptions): Promise<TestJob> {
  const { endpoint } = options;
  const name = options.name ?? 'rec';
  const client = createTestClient(endpoint);
  const bucket = options.bucket ?? `t-${randomBytes(5).toString('hex')}`;
  if (options.bucket === undefined) await client.createBucket(bucket);
  const ownStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(os.tmpdir(), 'recsync-state-')));

  const makeJob = async (overrides: TestJobOverrides = {}): Promise<ResolvedJob> => {
    const config = {
      stateDir,
      jobs: {
        [name]: {
          source: options.source,
          target: {
            bucket,
            endpoint,
            forcePathStyle: true,
            ...options.target,
            ...overrides.target,
          },
          strategy: options.strategy,
          ...options.job,
          ...overrides.job,
        },
      },
    };
    const job = (await resolveConfig(config, { importModule: (s) => import(s) })).jobs[0]!;
    return overrides.shard ? { ...job, shard: overrides.shard } : job;
  };

  const sync = async (
    runOptions: RunOptions = {},
    overrides: TestJobOverrides = {},
  ): Promise<TestSyncResult> => {
    const recorded = recordEvents();
    const stats = await syncJob(await makeJob(overrides), {
      ...runOptions,
      plugins: [recorded.plugin, ...(runOptions.plugins ?? [])],
    });
    const { events, warnings, uploaded } = recorded;
    return { stats, events, warnings, uploaded };
  };

  const plan = async (
    runOptions: RunOptions = {},
    overrides: TestJobOverrides = {},
  ): Promise<PlanItem[]> => {
    const run = await openPlan(await makeJob(overrides), runOptions);
    const items: PlanItem[] = [];
    for await (const item of run.items) items.push(item);
    return items;
  };

  return {
    endpoint,
    client,
    bucket,
    stateDir,
    makeJob,
    sync,
    plan,
    state: async () => JSON.parse(await readFile(stateFilePath({ stateDir, name }), 'utf8')),
    keys: (prefix?: string) => client.keys(bucket, prefix),
    async dispose() {
      client.destroy();
      if (ownStateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
