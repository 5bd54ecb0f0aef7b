/**
 * `plan` and `sync` for one job. Both read the same plan stream; `plan` hands the items to the
 * caller and changes nothing, `sync` applies them through the upload pool and commits state
 * after durable success only.
 */
import { setMaxListeners } from 'node:events';
import { runPool } from '../concurrency.js';
import { describeError, isRecsyncError, RecsyncError, EXIT_CODES } from '../errors.js';
import type { ResolvedJob } from '../config/resolve.js';
import {
  emptyCounts,
  addTo,
  emptyVerification,
  type FileOutcome,
  type RunInfo,
  type RunStats,
} from '../events.js';
import type { FileEvent } from '../hooks.js';
import { acquireJobLease } from '../state/job-lease.js';
import { sharedCommittedCursor } from '../state/shards.js';
import { ownsKey } from '../shard.js';
import type { PendingEntry } from '../state/store.js';
import { Ledger, type DoneEvent } from './ledger.js';
import { planStream, type PlanItem, type PlanFile } from './plan.js';
import { prepareRun, type PreparedRun, type RunOptions } from './prepare.js';
import { defaultOpenFile, uploadFile, type AbortedUpload, type UploadResult } from './upload.js';
import { OpenUploads, type UploadCleanup } from './open-uploads.js';
import { RootGuard } from './paths.js';
import { runRecordOf } from '../state/history.js';
import { recordFailedStart } from '../state/failed-start.js';
import { withProgress } from './progress.js';
import { countEntries } from './source-check.js';
import { MAX_RECORDS, type FolderStamp } from './folders.js';

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
    facts: () => run.strategy.describe?.() ?? run.info.facts,
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
  private readonly counts = emptyCounts();
  private readonly stop = new AbortController();
  private readonly hardStop = new AbortController();
  private readonly ledger: Ledger;
  private readonly guard: RootGuard;
  private fatal?: RecsyncError;
  private refused = 0;
  private partitionErrors = 0;
  private consecutiveFailures = 0;
  private readonly verification = emptyVerification();
  private readonly interruptedUploads: AbortedUpload[] = [];
  private openUploads?: OpenUploads;
  private cleanup: UploadCleanup = { recordedAborted: 0, recordedLeft: 0, swept: 0 };
  /**
   * Upload failures since the last success. Until an upload succeeds again they may be the
   * target's fault, not the files': a run that turns fatal drops them (no outcome, so their
   * partition is not done and the next run finds them again) instead of pouring them into the
   * pending set. Bounded by the failure streak that stops the run.
   */
  private heldFailures: { item: PlanFile; result: Extract<UploadResult, { outcome: 'failed' }> }[] =
    [];
  /** Pending folders as the run found them: each is walked again by the pending pass. */
  private readonly pendingFolders: string[];
  /** Folders found unreadable in this run (again, or for the first time). */
  private readonly unreadableFolders = new Set<string>();
  private pendingPassEnded = false;
  /** Folder stamps of partitions whose listing ended, by index, until they are done. */
  private readonly stamps = new Map<number, Record<string, FolderStamp> | undefined>();
  /** The latest completed, closed partitions with a folder, newest last (a few). */
  private readonly completed: { index: number; id: string; dir: string }[] = [];

  constructor(
    private readonly run: PreparedRun,
    private readonly options: RunOptions,
    leaseLost?: AbortSignal,
  ) {
    this.ledger = new Ledger(run.strategy, run.state.cursor, !run.info.range);
    this.guard = new RootGuard(run.job.source);
    this.pendingFolders = [...run.state.pending].filter(([, e]) => e.folder).map(([p]) => p);
    setMaxListeners(0, this.stop.signal, this.hardStop.signal); // one listener per in-flight request
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
    await hooks.run.promise(info);
    try {
      await this.cleanupUploads();
      const items = this.observe(
        planStream({ ...planContext(this.run), signal: this.stop.signal }),
      );
      await runPool(items, this.run.concurrency, (item) => this.handle(item));
      if (!this.fatal) await this.releaseHeldFailures();
    } catch (error) {
      this.fail(error);
    }
    if (this.fatal?.code.startsWith('E_TARGET'))
      this.fatal = withProgress(this.fatal, this.counts, this.ledger.summary());
    const interrupted = !this.fatal && this.stop.signal.aborted;
    const exitCode = this.exitCode(interrupted);
    state.cursor = this.ledger.cursor;
    if (!interrupted && !this.fatal) {
      this.settleFolders();
      await this.recordSource();
    }
    state.lastRun = {
      startedAt: info.startedAt,
      finishedAt: new Date().toISOString(),
      exitCode,
      uploaded: this.counts.uploaded.files,
      pending: state.pending.size,
    };
    const stats: RunStats = {
      job: info.job,
      mode: 'sync',
      startedAt: info.startedAt,
      finishedAt: state.lastRun.finishedAt,
      counts: this.counts,
      partitions: this.ledger.summary(),
      cursor: this.ledger.cursor ?? null,
      pending: state.pending.size,
      exitCode,
      interrupted,
      ...(this.hardStop.signal.aborted ? { hardStopped: true } : {}),
      ...(this.fatal ? { error: this.fatal.toJSON() } : {}),
      verification: this.verification,
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

  private exitCode(interrupted: boolean): number {
    if (this.fatal) return this.fatal.exitCode;
    if (interrupted) return EXIT_CODES.interrupted;
    const failed = this.counts.failed.files + this.refused + this.partitionErrors;
    return failed > 0 ? EXIT_CODES.filesPending : EXIT_CODES.ok;
  }

  /** Registers stream items with the ledger in stream order, before workers see them. */
  private async *observe(items: AsyncIterable<PlanItem>): AsyncGenerator<PlanItem> {
    for await (const item of items) {
      if (item.type === 'partition') this.ledger.open(item.partition);
      else if (item.type === 'file') this.ledger.add(item.partitionIndex);
      yield item;
    }
  }

  private async handle(item: PlanItem): Promise<void> {
    if (item.type === 'partition') return;
    if (item.type === 'partitionEnd') {
      if (item.partition.index < 0 && !item.error) this.pendingPassEnded = true;
      if (item.partition.index >= 0) this.stamps.set(item.partition.index, item.folders);
      if (item.error) {
        this.partitionErrors++;
        this.run.hooks.warning.call({
          job: this.run.job.name,
          code: item.error.code,
          message: `partition ${item.partition.id}: ${item.error.message}`,
        });
      }
      return this.done(this.ledger.end(item.partition.index, item.error));
    }
    const resolved = await this.resolve(item);
    if (resolved.outcome === 'aborted') {
      if (resolved.upload) this.interruptedUploads.push(resolved.upload);
      return; // no final outcome: the partition stays not done
    }
    // uploadFile refuses only a file whose folder resolves outside the root through a symlink.
    const result =
      resolved.outcome === 'refused'
        ? this.refuse(item, resolved.reason, item.code ?? 'E_FILE_SYMLINK_OUT')
        : resolved;
    if (this.fatal && result.outcome === 'failed') return; // the target is down: not the file's fault
    if (result.outcome === 'failed' && result.error.code === 'E_FILE_UPLOAD') {
      this.heldFailures.push({ item, result });
      return;
    }
    await this.settle(item, result);
    if (result.outcome === 'uploaded') await this.releaseHeldFailures(); // the target works: they were the files' failures
  }

  private async settle(
    item: PlanFile,
    result: Exclude<UploadResult, { outcome: 'aborted' | 'refused' }>,
  ): Promise<void> {
    this.record(item, result);
    await this.done(this.ledger.settle(item.partitionIndex, result.outcome, item.size));
  }

  private async releaseHeldFailures(): Promise<void> {
    for (const { item, result } of this.heldFailures.splice(0)) await this.settle(item, result);
  }

  private async resolve(item: PlanFile): Promise<UploadResult> {
    switch (item.action) {
      case 'upload':
        return this.upload(item);
      case 'present':
      case 'excluded':
      case 'vanished':
      case 'deferred':
        return { outcome: item.action, reason: item.reason ?? '', attempts: 0 };
      case 'refused':
        return { outcome: 'refused', reason: item.reason ?? 'refused', attempts: 0 };
      case 'failed': {
        const reason = item.reason ?? 'cannot be uploaded';
        return {
          outcome: 'failed',
          reason,
          error: { code: item.code ?? 'E_FILE_UPLOAD', message: reason },
          attempts: 0,
        };
      }
    }
  }

  /**
   * A pending folder that the pending pass walked without finding it unreadable again is read
   * now: every file in it got its own outcome (a failure is its own pending entry), so the
   * folder entry goes. Only after a run that ended normally, when no item is left in flight.
   */
  private settleFolders(): void {
    if (!this.pendingPassEnded) return;
    for (const folder of this.pendingFolders) {
      if (!this.unreadableFolders.has(folder)) this.run.state.pending.delete(folder);
    }
  }

  /** A completely checked partition's folder stamps, for the next run (see ./folders.ts). */
  private recordFolders(event: DoneEvent): void {
    const { partitions } = this.run.state;
    const folders = this.stamps.get(event.info.index);
    this.stamps.delete(event.info.index);
    if (event.info.unchanged) return; // its record still holds
    partitions.delete(event.info.id);
    if (!event.complete || !folders) return;
    partitions.set(event.info.id, { config: this.run.configStamp, folders });
    for (const id of partitions.keys()) {
      if (partitions.size <= MAX_RECORDS) break;
      partitions.delete(id);
    }
  }

  /** What the source looks like now, for the next run's check (see ./source-check.ts). */
  private async recordSource(): Promise<void> {
    const { state, sourceDev } = this.run;
    let partition = state.source?.partition;
    for (const { id, dir } of [...this.completed].reverse()) {
      const entries = await countEntries(dir);
      if (entries) {
        partition = { id, dir, entries };
        break;
      }
    }
    state.source = { dev: sourceDev, ...(partition ? { partition } : {}) };
  }

  /** A refused path: an error event, counted for exit 1, final (never retried). */
  private refuse(
    item: PlanFile,
    reason: string,
    code: string,
  ): Exclude<UploadResult, { outcome: 'aborted' | 'refused' }> {
    this.refused++;
    this.run.hooks.warning.call({
      job: this.run.job.name,
      code,
      message: `refused ${item.path || 'an entry'}: ${reason}`,
      path: item.path,
    });
    return { outcome: 'excluded', reason: `refused: ${reason}`, attempts: 0 };
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
      this.trackFailures(result);
      return result;
    } catch (error) {
      this.fail(error);
      return { outcome: 'aborted', attempts: 0 };
    }
  }

  /** Many upload failures in a row with no success: the target is failing, not the files. */
  private trackFailures(result: UploadResult): void {
    if (result.outcome === 'uploaded') this.consecutiveFailures = 0;
    else if (result.outcome === 'failed' && result.error.code === 'E_FILE_UPLOAD') {
      this.consecutiveFailures++;
      if (this.consecutiveFailures >= Math.max(20, this.run.concurrency)) {
        this.fail(
          new RecsyncError('E_TARGET_FAILING', {
            message: `${this.consecutiveFailures} uploads in a row failed after retries (last: ${result.reason})`,
            hint: 'the target looks down or overloaded; nothing was lost, the next run retries',
          }),
        );
      }
    }
  }

  /** Stops the run on an error that is not one file's: the state is still saved. */
  private fail(error: unknown): void {
    const wrapped = isRecsyncError(error)
      ? error
      : new RecsyncError('E_INTERNAL', {
          message: `unexpected error: ${describeError(error)}`,
          cause: error,
          hint: 'the state was saved and nothing is lost; please report this with the output of --verbose',
        });
    this.fatal ??= wrapped;
    this.stop.abort();
  }

  private record(
    item: PlanFile,
    result: Exclude<UploadResult, { outcome: 'aborted' | 'refused' }>,
  ): void {
    const { state, hooks, job } = this.run;
    const outcome: FileOutcome = result.outcome;
    addTo(this.counts, outcome, item.size);
    const reason = 'reason' in result ? result.reason : undefined;
    const event: FileEvent = {
      job: job.name,
      partition: item.partition,
      path: item.path,
      key: item.key,
      size: item.size,
      outcome,
      ...(reason ? { reason } : {}),
      ...(result.outcome === 'failed' ? { error: result.error } : {}),
      ...(result.attempts ? { attempts: result.attempts } : {}),
      ...(result.outcome === 'uploaded' ? { stored: result.stored } : {}),
    };
    if (result.outcome === 'uploaded') this.countVerification(result.stored.checksum?.verifiedBy);
    if (item.folder && outcome === 'failed') this.unreadableFolders.add(item.path);
    if (outcome === 'deferred' || outcome === 'failed') {
      const previous = state.pending.get(item.path);
      const nowIso = new Date().toISOString();
      const entry: PendingEntry = {
        partition: previous?.partition ?? item.partition,
        reason: outcome,
        detail: reason ?? outcome,
        attempts: (previous?.attempts ?? 0) + Math.max(1, result.attempts),
        firstSeen: previous?.firstSeen ?? nowIso,
        lastTried: nowIso,
        ...(result.outcome === 'failed' ? { code: result.error.code } : {}),
        ...stickyFailure(previous, result, nowIso),
        ...(item.folder ? { folder: true } : {}),
        ...(item.rawPath ? { raw: item.rawPath } : {}),
      };
      state.pending.set(item.path, entry);
    } else {
      state.pending.delete(item.path);
    }
    if (outcome === 'uploaded') hooks.uploaded.call(event);
    else if (outcome === 'failed') hooks.uploadFailed.call(event);
    else hooks.skipped.call(event);
  }

  /** The period start of a file's partition (a pending file's is the one it was found in). */
  private partitionStart(item: PlanFile): Date | undefined {
    const id =
      item.partitionIndex < 0 ? this.run.state.pending.get(item.path)?.partition : item.partition;
    return id === undefined ? undefined : this.run.strategy.partitionStart?.(id);
  }

  private countVerification(by: 'store' | 'recsync' | 'none' | undefined): void {
    if (by === 'store') this.verification.store++;
    else if (by === 'recsync') this.verification.recsync++;
    else this.verification.unverified++;
  }

  /** A partition is done: tell reporters; save state (cursor and pending set together). */
  private async done(event: DoneEvent | undefined): Promise<void> {
    if (!event) return;
    const { state, hooks, job, strategy } = this.run;
    this.recordFolders(event);
    if (event.complete && event.info.closed && event.info.dir) {
      this.completed.push({ index: event.info.index, id: event.info.id, dir: event.info.dir });
      this.completed.sort((a, b) => a.index - b.index);
      if (this.completed.length > 8) this.completed.shift();
    }
    state.cursor = this.ledger.cursor;
    await state.save();
    if (event.cursorMoved && strategy.committed) {
      // Shards share what is cleaned up: only up to every shard's saved cursor (see state/shards.ts).
      const upTo = await sharedCommittedCursor(job, strategy, state.cursor).catch(() => undefined);
      if (upTo !== undefined) {
        await strategy.committed(upTo).catch((error: unknown) =>
          hooks.warning.call({
            job: job.name,
            code: 'W_COMMITTED',
            message: `after saving the cursor: ${describeError(error)}`,
          }),
        );
      }
    }
    await hooks.partitionDone.promise({
      job: job.name,
      index: event.info.index,
      id: event.info.id,
      closed: event.info.closed,
      recheck: event.info.recheck,
      complete: event.complete,
      counts: event.counts,
      ...(event.error ? { error: event.error } : {}),
    });
  }
}

/** Codes a later run must not forgive: the file is uploaded again until an upload succeeds. */
const STICKY_CODES = new Set(['E_CHECKSUM_MISMATCH', 'E_OBJECT_CONFLICT']);

function stickyFailure(
  previous: PendingEntry | undefined,
  result: UploadResult,
  nowIso: string,
): Pick<PendingEntry, 'mustUpload'> {
  if (result.outcome === 'failed' && STICKY_CODES.has(result.error.code))
    return { mustUpload: previous?.mustUpload ?? { code: result.error.code, since: nowIso } };
  return previous?.mustUpload ? { mustUpload: previous.mustUpload } : {};
}
