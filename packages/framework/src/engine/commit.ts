/**
 * Commit: the write half of the pipeline. Every file's final outcome is counted, reported
 * (`uploaded`/`uploadFailed`/`skipped` hooks) and written to the pending set; the cursor commit
 * (./cursor-commit.ts) learns when each partition is done. A done partition saves the state
 * (cursor and pending set together), calls the strategy's `committed()` once the cursor moved,
 * and fires `partitionDone`. After a normal end, the folder records and the source record are
 * kept for the next run (./folders.ts, ./source-check.ts).
 */
import { describeError, type FileErrorCode } from '../errors.js';
import {
  addTo,
  emptyCounts,
  emptyVerification,
  type FileOutcome,
  type OutcomeCounts,
  type VerificationCounts,
} from '../events.js';
import type { FileEvent } from '../hooks.js';
import { sharedCommittedCursor } from '../state/shards.js';
import type { PreparedRun } from './prepare.js';
import { CursorCommit, type DoneEvent } from './cursor-commit.js';
import { MAX_RECORDS, type FolderStamp } from './folders.js';
import { PendingLog, type FinalResult } from './pending.js';
import type { PlanFile, PlanItem } from './plan.js';
import { countEntries } from './source-check.js';

type PartitionEnd = Extract<PlanItem, { type: 'partitionEnd' }>;

export class Commit {
  readonly counts: OutcomeCounts = emptyCounts();
  readonly verification: VerificationCounts = emptyVerification();
  readonly cursor: CursorCommit;
  private readonly pending: PendingLog;
  /** Paths refused, and partitions that could not be fully listed: each keeps exit 1. */
  private refused = 0;
  private partitionErrors = 0;
  /** Folder stamps of partitions whose listing ended, by index, until they are done. */
  private readonly stamps = new Map<number, Record<string, FolderStamp> | undefined>();
  /** The latest completed, closed partitions with a folder, newest last (a few). */
  private readonly completed: { index: number; id: string; dir: string }[] = [];

  constructor(private readonly run: PreparedRun) {
    this.cursor = new CursorCommit(run.strategy, run.state.cursor, !run.info.range);
    this.pending = new PendingLog(run.state.pending);
  }

  /** What is still owed to the exit code: failed files, refused paths, partial partitions. */
  owed(): number {
    return this.counts.failed.files + this.refused + this.partitionErrors;
  }

  /**
   * Registers a stream item with the cursor commit; call in stream order, before workers see it.
   */
  observe(item: PlanItem): void {
    if (item.type === 'partition') this.cursor.open(item.partition);
    else if (item.type === 'file') this.cursor.add(item.partitionIndex);
  }

  /** A partition's listing ended (with an error when it could not be fully read). */
  async partitionEnd(item: PartitionEnd): Promise<void> {
    if (item.partition.index < 0 && !item.error) this.pending.pendingPassEnded();
    if (item.partition.index >= 0) this.stamps.set(item.partition.index, item.folders);
    if (item.error) {
      this.partitionErrors++;
      this.run.hooks.warning.call({
        job: this.run.job.name,
        code: item.error.code,
        message: `partition ${item.partition.id}: ${item.error.message}`,
      });
    }
    await this.done(this.cursor.end(item.partition.index, item.error));
  }

  /**
   * A file's final outcome: counted, reported, written to the pending set; its partition may be
   * done.
   */
  async file(item: PlanFile, result: FinalResult): Promise<void> {
    this.record(item, result);
    await this.done(this.cursor.settle(item.partitionIndex, result.outcome, item.size));
  }

  /** A refused path: an error event, counted for exit 1, final (never retried). */
  refuse(item: PlanFile, reason: string, code: FileErrorCode): FinalResult {
    this.refused++;
    this.run.hooks.warning.call({
      job: this.run.job.name,
      code,
      message: `refused ${item.path || 'an entry'}: ${reason}`,
      path: item.path,
    });
    return { outcome: 'excluded', reason: `refused: ${reason}`, attempts: 0 };
  }

  /** After a run that ended normally: the pending folders read again, the source record. */
  async finish(): Promise<void> {
    this.pending.settleFolders();
    await this.recordSource();
  }

  private record(item: PlanFile, result: FinalResult): void {
    const { hooks, job } = this.run;
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
    this.pending.record(item, result);
    if (outcome === 'uploaded') hooks.uploaded.call(event);
    else if (outcome === 'failed') hooks.uploadFailed.call(event);
    else hooks.skipped.call(event);
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
    state.cursor = this.cursor.cursor;
    await state.save();
    const committed = strategy.features?.committed;
    if (event.cursorMoved && committed) {
      // Shards share what is cleaned up: only up to every shard's saved cursor (see
      // state/shards.ts).
      const upTo = await sharedCommittedCursor(job, strategy, state.cursor).catch(() => undefined);
      if (upTo !== undefined) {
        await committed.call(strategy.features, upTo).catch((error: unknown) =>
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
}
