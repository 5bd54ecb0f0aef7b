/**
 * `plan` and `sync` for one job: the orchestrator of the pipeline (see ./README.md).
 *
 *   discover → filter → remote check   (plan.ts: the plan stream, shared by plan and sync)
 *   → upload → commit                  (sync only: the upload pool, then state)
 *
 * `plan` hands the plan stream's items to the caller and changes nothing; `sync` runs them
 * through the upload pool and commits state after durable success only. This file wires the
 * stages, the stop signals and the run's ending; each rule lives in its stage's module.
 */
import { setMaxListeners } from 'node:events';
import { runPool } from '../concurrency.js';
import { describeError, isRecsyncError, RecsyncError } from '../errors.js';
import type { ResolvedJob } from '../config/resolve.js';
import type { RunInfo, RunStats } from '../events.js';
import { acquireJobLease } from '../state/job-lease.js';
import { ownsKey } from '../shard.js';
import { planStream, type PlanItem, type PlanFile } from './plan.js';
import { prepareRun, type PreparedRun, type RunOptions } from './prepare.js';
import {
  defaultOpenFile,
  plannedResult,
  uploadFile,
  type AbortedUpload,
  type UploadResult,
} from './upload.js';
import { OpenUploads, type UploadCleanup } from './open-uploads.js';
import { RootGuard } from './paths.js';
import { runRecordOf } from '../state/history.js';
import { recordFailedStart } from '../state/failed-start.js';
import { withProgress } from './progress.js';
import { FailureBreaker } from './breaker.js';
import { Commit } from './commit.js';
import { exitCodeOf } from './outcome.js';

export interface PlanRun {
  readonly info: RunInfo;
  /** The cursor in force (where a normal run starts). */
  readonly cursor: unknown;
  readonly pending: number;
  /** The plan, streamed. Iterate once. */
  readonly items: AsyncIterable<PlanItem>;
  /** Strategy facts as they stand now (some are known only after the partitions were read). */
  facts(): Record<string, string | number | boolean>;
}

/** Opens a dry run of one job: nothing is written to the bucket or the state. */
export async function openPlan(job: ResolvedJob, options: RunOptions = {}): Promise<PlanRun> {
  const run = await prepareRun(job, 'plan', options);
  const signal = options.signal ?? new AbortController().signal;
  const items = (async function* () {
    try {
      yield* planStream({ ...planContext(run), signal });
    } finally {
      run.dispose();
    }
  })();
  return {
    info: run.info,
    cursor: run.state.cursor,
    pending: run.state.pending.size,
    items,
    facts: () => run.strategy.features?.describe?.() ?? run.info.facts,
  };
}

function planContext(run: PreparedRun) {
  return {
    job: run.job,
    hooks: run.hooks,
    strategy: run.strategy,
    checker: run.checker,
    cursor: run.state.cursor,
    pending: run.state.pending,
    checkConcurrency: run.limits.checks,
    prefetch: run.limits.prefetch,
    range: run.info.range,
    now: run.now,
    ...(run.job.lookbackCheck === 'folders'
      ? { records: { byId: run.state.partitions, config: run.configStamp } }
      : {}),
  };
}

/** Backs up one job. Resolves with the run's stats (also on interruption and fatal errors). */
export async function syncJob(job: ResolvedJob, options: RunOptions = {}): Promise<RunStats> {
  const leaseWarnings: { code: string; message: string }[] = [];
  const warn = (message: string, code: string) => leaseWarnings.push({ code, message });
  const lease = await acquireJobLease(job, {
    command: 'sync',
    warn,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    const startedAt = (options.now ?? new Date()).toISOString();
    const run = await prepareRun(job, 'sync', options).catch(async (error: unknown) => {
      await recordFailedStart(job, startedAt, error);
      throw error;
    });
    run.state.fence = () => lease.assertHeld(); // fencing: no state write once the lease is lost
    for (const warning of leaseWarnings) run.hooks.warning.call({ job: job.name, ...warning });
    try {
      return await new SyncRun(run, options, lease.lost).execute();
    } finally {
      run.dispose();
    }
  } finally {
    // A lease that cannot be removed (the state folder turned read-only) must not hide the run's
    // own outcome: the next run finds it stale and takes it over with a warning.
    await lease.release().catch(() => undefined);
  }
}

class SyncRun {
  private readonly stop = new AbortController();
  private readonly hardStop = new AbortController();
  private readonly commit: Commit;
  private readonly breaker: FailureBreaker;
  private readonly guard: RootGuard;
  private fatal?: RecsyncError;
  private readonly interruptedUploads: AbortedUpload[] = [];
  private openUploads?: OpenUploads;
  private cleanup: UploadCleanup = { recordedAborted: 0, recordedLeft: 0, swept: 0 };

  constructor(
    private readonly run: PreparedRun,
    private readonly options: RunOptions,
    leaseLost?: AbortSignal,
  ) {
    this.commit = new Commit(run);
    this.breaker = new FailureBreaker(run.limits.failureStreak);
    this.guard = new RootGuard(run.job.source);
    // one listener per in-flight request
    setMaxListeners(0, this.stop.signal, this.hardStop.signal);
    options.signal?.addEventListener('abort', () => this.stop.abort(), { once: true });
    options.abortSignal?.addEventListener(
      'abort',
      () => {
        this.stop.abort();
        this.hardStop.abort();
      },
      { once: true },
    );
    leaseLost?.addEventListener('abort', () => this.fail(leaseLost.reason), { once: true });
  }

  async execute(): Promise<RunStats> {
    const { hooks, info, state } = this.run;
    const { commit } = this;
    await hooks.run.promise(info);
    try {
      await this.cleanupUploads();
      const items = this.observe(
        planStream({ ...planContext(this.run), signal: this.stop.signal }),
      );
      await runPool(items, this.run.limits.uploads, (item) => this.handle(item));
      if (!this.fatal) await this.releaseHeldFailures();
    } catch (error) {
      this.fail(error);
    }
    if (this.fatal?.code.startsWith('E_TARGET'))
      this.fatal = withProgress(this.fatal, commit.counts, commit.cursor.summary());
    const interrupted = !this.fatal && this.stop.signal.aborted;
    const exitCode = exitCodeOf({ fatal: this.fatal, interrupted, owed: commit.owed() });
    state.cursor = commit.cursor.cursor;
    if (!interrupted && !this.fatal) await commit.finish();
    state.lastRun = {
      startedAt: info.startedAt,
      finishedAt: new Date().toISOString(),
      exitCode,
      uploaded: commit.counts.uploaded.files,
      pending: state.pending.size,
    };
    const stats: RunStats = {
      job: info.job,
      mode: 'sync',
      startedAt: info.startedAt,
      finishedAt: state.lastRun.finishedAt,
      counts: commit.counts,
      partitions: commit.cursor.summary(),
      cursor: commit.cursor.cursor ?? null,
      pending: state.pending.size,
      exitCode,
      interrupted,
      ...(this.hardStop.signal.aborted ? { hardStopped: true } : {}),
      ...(this.fatal ? { error: this.fatal.toJSON() } : {}),
      verification: commit.verification,
      multipart: {
        earlierAborted: this.cleanup.recordedAborted,
        swept: this.cleanup.swept,
        interrupted: this.interruptedUploads,
      },
    };
    state.recordRun(runRecordOf(stats, info.range));
    await state.save();
    if (this.fatal) hooks.runFailed.call(this.fatal, info);
    await hooks.done.promise(stats);
    return stats;
  }

  /** Aborts multipart uploads earlier runs left behind (see open-uploads.ts). */
  private async cleanupUploads(): Promise<void> {
    const { target, state, job, hooks } = this.run;
    if (!target) return;
    const warn = (code: string, message: string) =>
      hooks.warning.call({ job: job.name, code, message });
    this.openUploads = new OpenUploads(state, target, warn);
    // A shard sweeps only its own share's keys: never a sibling's upload in flight.
    const owns = (key: string) => ownsKey(job.shard, key);
    this.cleanup = await this.openUploads.cleanup({
      prefix: job.target.prefix,
      abandonedAgeMs: job.upload.abandonedUploadAge,
      owns,
    });
  }

  /** Registers stream items with the commit stage in stream order, before workers see them. */
  private async *observe(items: AsyncIterable<PlanItem>): AsyncGenerator<PlanItem> {
    for await (const item of items) {
      this.commit.observe(item);
      yield item;
    }
  }

  /** One pool worker's turn: a partition boundary, or one file through upload and commit. */
  private async handle(item: PlanItem): Promise<void> {
    if (item.type === 'partition') return;
    if (item.type === 'partitionEnd') return this.commit.partitionEnd(item);
    const resolved = item.action === 'upload' ? await this.upload(item) : plannedResult(item);
    if (resolved.outcome === 'aborted') {
      if (resolved.upload) this.interruptedUploads.push(resolved.upload);
      return; // no final outcome: the partition stays not done
    }
    // uploadFile refuses only a file whose folder resolves outside the root through a symlink.
    const result =
      resolved.outcome === 'refused'
        ? this.commit.refuse(item, resolved.reason, item.code ?? 'E_FILE_SYMLINK_OUT')
        : resolved;
    // the target is down: not the file's fault
    if (this.fatal && result.outcome === 'failed') return;
    if (this.breaker.hold(item, result)) return;
    await this.commit.file(item, result);
    // the target works: they were the files' failures
    if (result.outcome === 'uploaded') await this.releaseHeldFailures();
  }

  private async releaseHeldFailures(): Promise<void> {
    for (const { item, result } of this.breaker.release()) await this.commit.file(item, result);
  }

  private async upload(item: PlanFile): Promise<UploadResult> {
    const { run } = this;
    try {
      const result = await uploadFile(
        {
          job: run.job,
          target: run.target!,
          hooks: run.hooks,
          openFile: this.options.openFile ?? defaultOpenFile,
          guard: this.guard,
          abortSignal: this.hardStop.signal,
          multipartLog: this.openUploads,
          partitionStart: (f) => this.partitionStart(f),
        },
        item,
      );
      const tripped = this.breaker.track(result);
      if (tripped) this.fail(tripped);
      return result;
    } catch (error) {
      this.fail(error);
      return { outcome: 'aborted', attempts: 0 };
    }
  }

  /** Stops the run on an error that is not one file's: the state is still saved. */
  private fail(error: unknown): void {
    const wrapped = isRecsyncError(error)
      ? error
      : new RecsyncError('E_INTERNAL', {
          message: `unexpected error: ${describeError(error)}`,
          cause: error,
          hint:
            'the state was saved and nothing is lost; please report this with ' +
            'the output of --verbose',
        });
    this.fatal ??= wrapped;
    this.stop.abort();
  }

  /** The period start of a file's partition (a pending file's is the one it was found in). */
  private partitionStart(item: PlanFile): Date | undefined {
    const id =
      item.partitionIndex < 0 ? this.run.state.pending.get(item.path)?.partition : item.partition;
    return id === undefined ? undefined : this.run.strategy.features?.partitionStart?.(id);
  }
}
