/**
 * Everything a run of one job needs, set up in one order for plan and sync alike: hooks with
 * the built-in and user plugins, the strategy instance, the saved state (checked against the
 * config), and the target (checked before any file is read).
 */
import { createHooks, type Hooks } from '../hooks.js';
import { runLimits, type RunLimits } from '../limits.js';
import { RecsyncError } from '../errors.js';
import type { Plugin } from '../plugin.js';
import type { RangeRequest, StrategyInstance } from '../strategy.js';
import type { ResolvedJob } from '../config/resolve.js';
import type { RunInfo } from '../events.js';
import { globFilterPlugin, settlePlugin } from '../plugins/filters.js';
import { manifestPlugin } from '../plugins/manifest.js';
import { retentionReportPlugin } from '../plugins/retention.js';
import { rawNamesPlugin } from '../plugins/raw-names.js';
import { JobState } from '../state/store.js';
import { checkShards } from '../state/shards.js';
import { createS3Target, type Target } from '../s3/target.js';
import { connectionOf } from '../s3/connection.js';
import { createRemoteChecker, type RemoteChecker } from './remote-check.js';
import { checkSource } from './source-check.js';
import { configStamp } from './folders.js';
import type { OpenFile } from './upload.js';
import { checkRange } from './range.js';
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
  /** Uploads in flight (`limits.uploads`). */
  readonly concurrency: number;
  /** How much runs at once and how often things are tried (see ../limits.ts). */
  readonly limits: RunLimits;
  /** Device number of the source root, recorded in the state after the run. */
  readonly sourceDev: number;
  /** The config as far as folder records depend on it (see ./folders.ts). */
  readonly configStamp: string;
  dispose(): void;
}

export function builtinPlugins(
  job: ResolvedJob,
  targetOf: () => Target | undefined = () => undefined,
): Plugin[] {
  return [
    globFilterPlugin(job.filters),
    settlePlugin(job.filters.settle),
    rawNamesPlugin(),
    retentionReportPlugin(),
    manifestPlugin({ stateDir: job.stateDir, job: job.name, target: job.target, targetOf }),
  ];
}

export async function prepareRun(
  job: ResolvedJob,
  mode: 'plan' | 'sync',
  options: RunOptions,
): Promise<PreparedRun> {
  const { definition } = job.strategy;
  checkRange(job, options.range, options.now);
  const hooks = createHooks();
  const pluginContext = { job: job.name, source: job.source, mode };
  let runTarget: Target | undefined; // the manifest plugin stores its copy through it, at the end
  for (const plugin of [
    ...builtinPlugins(job, () => runTarget),
    ...job.plugins,
    ...(options.plugins ?? []),
  ])
    plugin.apply(hooks, pluginContext);

  const warn = (message: string) =>
    hooks.warning.call({ job: job.name, code: 'W_STRATEGY', message });
  const filters = { include: job.filters.include ?? [], exclude: job.filters.exclude ?? [] };
  const strategy = definition.create(job.strategy.options as never, {
    source: job.source,
    followSymlinks: job.followSymlinks,
    filters,
    warn,
  });
  if (job.target.objectLock?.from === 'partition' && !strategy.features?.partitionStart) {
    throw new RecsyncError('E_CONFIG_INVALID', {
      message:
        `jobs.${job.name}.target.objectLock.from is "partition", but the strategy ` +
        `${definition.name} has no partition dates`,
      hint: 'use from: "mtime" or "upload", or a strategy whose partitions are dates (dateFolders)',
    });
  }
  // A test target stands in for S3 entirely; otherwise the endpoint is resolved once, for the
  // state's fingerprint, the S3 client and the run's description alike.
  const connection = options.target ? options.target.connection : await connectionOf(job.target);
  const state = await JobState.load(job, connection);
  // another shard count, or unsafe shared clean-up: exit 2
  await checkShards(job, strategy, state.exists);
  const now = options.now ?? new Date();
  if (state.cursor !== undefined && !options.range)
    refuseFutureCursor(job, strategy, state.cursor, now);
  const { dev: sourceDev } = await checkSource({
    job: job.name,
    source: job.source,
    record: state.source,
    acceptChange: options.acceptSourceChange ?? false,
    partitionsMayShrink: strategy.features?.partitionsMayShrink ?? false,
    warn: (code, message) => hooks.warning.call({ job: job.name, code, message }),
  });
  const limits = runLimits(job.upload, options.concurrency);

  const needsTarget = mode === 'sync' || job.remoteCheck !== 'none';
  const connect = async (): Promise<Target> => {
    const target =
      options.target ??
      (await createS3Target(job.target, {
        maxSockets: limits.maxSockets,
        partBudget: limits.partBudget,
        requestAttempts: limits.requestAttempts,
        maxBandwidth: job.upload.maxBandwidth,
      }));
    try {
      await target.preflight({
        list: job.remoteCheck === 'list',
        prefix: job.target.prefix,
        objectLock: mode === 'sync' && job.target.objectLock !== undefined,
      });
    } catch (error) {
      if (!options.target) target.destroy();
      throw error;
    }
    return target;
  };
  // sync checks the bucket before any file is read; plan connects on its first question, so a
  // plan with nothing to check sends no request (and loads no SDK).
  const target = !needsTarget
    ? undefined
    : mode === 'sync'
      ? await connect()
      : lazyTarget(job, connect);
  runTarget = target;
  // Shown and logged: an endpoint URL may carry credentials (user:password@host).
  const shown = connection?.endpoint
    ? {
        ...connection,
        endpoint: { ...connection.endpoint, value: redactUrl(connection.endpoint.value) },
      }
    : connection;
  const info: RunInfo = {
    job: job.name,
    mode,
    source: job.source,
    bucket: job.target.bucket,
    prefix: job.target.prefix,
    ...(shown?.endpoint
      ? { endpoint: shown.endpoint.value }
      : job.target.endpoint
        ? { endpoint: redactUrl(job.target.endpoint) }
        : {}),
    ...(shown ? { connection: shown } : {}),
    strategy: definition.name,
    facts: strategy.features?.describe?.() ?? {},
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
    checker: createRemoteChecker(
      job.remoteCheck,
      target,
      warn,
      job.target.noOverwrite ? { headFrom: job.upload.multipartThreshold } : {},
    ),
    info,
    now,
    concurrency: limits.uploads,
    limits,
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
function refuseFutureCursor(
  job: ResolvedJob,
  strategy: StrategyInstance<unknown>,
  cursor: unknown,
  now: Date,
): void {
  const problem = strategy.features?.futureCursor?.(cursor, now);
  if (!problem) return;
  throw new RecsyncError('E_CURSOR_FUTURE', {
    message:
      `the saved cursor of job "${job.name}" lies in the future: ${problem} (the clock ` +
      `says ${now.toISOString()}); a run would select nothing`,
    hint:
      'if the clock was wrong when it was saved, start over (objects already in the bucket are ' +
      `not uploaded again): recsync state reset --job ${job.name}\n` +
      'or back up a range without the cursor: recsync sync --job ' +
      job.name +
      ' --since DATE',
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
    head: async (key, signal, options) => (await get()).head(key, signal, options),
    put: async () => {
      throw new Error('plan never uploads');
    },
    putMultipart: async () => {
      throw new Error('plan never uploads');
    },
    abortMultipart: async () => {
      throw new Error('plan never aborts uploads');
    },
    async *listMultipart(prefix) {
      yield* (await get()).listMultipart(prefix);
    },
    destroy: () =>
      void connecting?.then(
        (t) => t.destroy(),
        () => undefined,
      ),
  };
}
