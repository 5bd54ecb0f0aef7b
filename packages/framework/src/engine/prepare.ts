/**
 * Everything a run of one job needs, set up in one order for plan and sync alike: hooks with
 * the built-in and user plugins, the strategy instance, the saved state (checked against the
 * config), and the target (checked before any file is read).
 */
import { createHooks, type Hooks } from '../hooks.js';
import { RecsyncError } from '../errors.js';
import type { Plugin } from '../plugin.js';
import type { RangeRequest, StrategyInstance } from '../strategy.js';
import type { ResolvedJob } from '../config/resolve.js';
import type { RunInfo } from '../events.js';
import { globFilterPlugin, settlePlugin } from '../plugins/filters.js';
import { rawNamesPlugin } from '../plugins/raw-names.js';
import { JobState } from '../state/store.js';
import { checkShards } from '../state/shards.js';
import { createS3Target, type Target } from '../s3/target.js';
import { createRemoteChecker, type RemoteChecker } from './remote-check.js';
import { checkSource } from './source-check.js';
import { configStamp } from './folders.js';
import type { OpenFile } from './upload.js';
import { redactUrl } from '../secrets.js';

export interface RunOptions {
  /** `--since/--until`: select a range; the cursor is ignored and does not move. */
  readonly range?: RangeRequest;
  /** The run's clock (default: now). */
  readonly now?: Date;
  /** Graceful stop: take no new files, finish in-flight uploads, save state. */
  readonly signal?: AbortSignal;
  /** Hard stop: also abort in-flight uploads. */
  readonly abortSignal?: AbortSignal;
  /** Overrides `upload.concurrency`. */
  readonly concurrency?: number;
  /** Extra plugins for this run (reporters). Applied after the config's. */
  readonly plugins?: readonly Plugin[];
  /** Use this target instead of building an S3 client (tests). */
  readonly target?: Target;
  /** Seam for opening files (tests inject read failures). */
  readonly openFile?: OpenFile;
  /**
   * `--accept-source-change`: an empty source, or a completed partition that lost entries, is a
   * warning for this run instead of an error (a deliberate move or pruning).
   */
  readonly acceptSourceChange?: boolean;
}

export interface PreparedRun {
  readonly job: ResolvedJob;
  readonly hooks: Hooks;
  readonly strategy: StrategyInstance<unknown>;
  readonly state: JobState;
  readonly target?: Target;
  readonly checker: RemoteChecker;
  readonly info: RunInfo;
  readonly now: Date;
  readonly concurrency: number;
  /** Device number of the source root, recorded in the state after the run. */
  readonly sourceDev: number;
  /** The config as far as folder records depend on it (see ./folders.ts). */
  readonly configStamp: string;
  dispose(): void;
}

export function builtinPlugins(job: ResolvedJob): Plugin[] {
  return [globFilterPlugin(job.filters), settlePlugin(job.filters.settle), rawNamesPlugin()];
}

export async function prepareRun(job: ResolvedJob, mode: 'plan' | 'sync', options: RunOptions): Promise<PreparedRun> {
  const { definition } = job.strategy;
  if (options.range && !definition.range) {
    throw new RecsyncError('E_USAGE', {
      message: `--since/--until mean nothing to the strategy ${definition.name} of job "${job.name}"`,
      hint: 'run without a range, or select the job(s) whose strategy takes one with --job',
    });
  }
  const hooks = createHooks();
  const pluginContext = { job: job.name, source: job.source, mode };
  for (const plugin of [...builtinPlugins(job), ...job.plugins, ...(options.plugins ?? [])]) plugin.apply(hooks, pluginContext);

  const warn = (message: string) => hooks.warning.call({ job: job.name, code: 'W_STRATEGY', message });
  const filters = { include: job.filters.include ?? [], exclude: job.filters.exclude ?? [] };
  const strategy = definition.create(job.strategy.options as never, { source: job.source, followSymlinks: job.followSymlinks, filters, warn });
  const state = await JobState.load(job);
  await checkShards(job, strategy, state.exists); // another shard count, or unsafe shared clean-up: exit 2
  const now = options.now ?? new Date();
  if (state.cursor !== undefined && !options.range) refuseFutureCursor(job, strategy, state.cursor, now);
  const { dev: sourceDev } = await checkSource({
    job: job.name,
    source: job.source,
    record: state.source,
    acceptChange: options.acceptSourceChange ?? false,
    partitionsMayShrink: strategy.partitionsMayShrink ?? false,
    warn: (code, message) => hooks.warning.call({ job: job.name, code, message }),
  });
  const concurrency = options.concurrency ?? job.upload.concurrency;

  const needsTarget = mode === 'sync' || job.remoteCheck !== 'none';
  const connect = async (): Promise<Target> => {
    const target = options.target ?? (await createS3Target(job.target, { maxSockets: concurrency + 8 }));
    try {
      await target.preflight({ list: job.remoteCheck === 'list', prefix: job.target.prefix });
    } catch (error) {
      if (!options.target) target.destroy();
      throw error;
    }
    return target;
  };
  // sync checks the bucket before any file is read; plan connects on its first question, so a
  // plan with nothing to check sends no request (and loads no SDK).
  const target = !needsTarget ? undefined : mode === 'sync' ? await connect() : lazyTarget(job, connect);
  const info: RunInfo = {
    job: job.name,
    mode,
    source: job.source,
    bucket: job.target.bucket,
    prefix: job.target.prefix,
    ...(job.target.endpoint ? { endpoint: redactUrl(job.target.endpoint) } : {}),
    strategy: definition.name,
    facts: strategy.describe?.() ?? {},
    ...(options.range ? { range: { ...options.range } } : {}),
    startedAt: now.toISOString(),
    ...(job.shard ? { shard: job.shard } : {}),
  };
  return {
    job,
    hooks,
    strategy,
    state,
    target,
    checker: createRemoteChecker(job.remoteCheck, target, warn),
    info,
    now,
    concurrency,
    sourceDev,
    configStamp: configStamp({
      fingerprint: state.fingerprint,
      options: job.strategy.options,
      filters: job.filters,
      remoteCheck: job.remoteCheck,
      followSymlinks: job.followSymlinks,
      plugins: job.plugins.map((p) => p.name),
    }),
    dispose: () => {
      if (!options.target) target?.destroy();
    },
  };
}

/** A cursor after the run's clock would make every run select nothing: refuse it (exit 2). */
function refuseFutureCursor(job: ResolvedJob, strategy: StrategyInstance<unknown>, cursor: unknown, now: Date): void {
  const problem = strategy.futureCursor?.(cursor, now);
  if (!problem) return;
  throw new RecsyncError('E_CURSOR_FUTURE', {
    message: `the saved cursor of job "${job.name}" lies in the future: ${problem} (the clock says ${now.toISOString()}); a run would select nothing`,
    hint:
      `if the clock was wrong when it was saved, start over (objects already in the bucket are not uploaded again): recsync state reset --job ${job.name}\n` +
      'or back up a range without the cursor: recsync sync --job ' + job.name + ' --since DATE',
  });
}

/** A target that connects (and checks the bucket) on first use. Plan only: it never uploads. */
function lazyTarget(job: ResolvedJob, connect: () => Promise<Target>): Target {
  let connecting: Promise<Target> | undefined;
  const get = () => (connecting ??= connect());
  return {
    bucket: job.target.bucket,
    endpoint: job.target.endpoint,
    preflight: async () => void (await get()),
    async *list(prefix, signal) {
      yield* (await get()).list(prefix, signal);
    },
    head: async (key, signal) => (await get()).head(key, signal),
    put: async () => {
      throw new Error('plan never uploads');
    },
    destroy: () => void connecting?.then((t) => t.destroy(), () => undefined),
  };
}
