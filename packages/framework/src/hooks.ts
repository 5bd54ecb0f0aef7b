/**
 * Every hook of a run, declared in one place. Plugins (built-in and users') tap these; the
 * engine calls them. Reporters only observe (`planned`, `uploaded`, `skipped`, `uploadFailed`,
 * `partition*`, `done`, `warning`); only `filter`, `key` and `beforeUpload` can steer.
 *
 * Concurrency: per-file hooks are called concurrently for different files (up to the
 * filter/upload concurrency); lifecycle hooks are called one at a time, in order.
 */
import {
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { ErrorCode, RecsyncError, WarningCode } from './errors.js';
import type { CandidateFile, MissingFile } from './strategy.js';
import type { FileOutcome, PartitionSummary, RunInfo, RunStats } from './events.js';
import type { StoredObject } from './engine/upload.js';
import type { PlanCounts, PlanFile } from './engine/plan.js';

/** Returned by a `filter` tap to skip a file. */
export interface SkipDecision {
  /**
   * `excluded`: never upload (a permanent filter). `deferred`: not yet; goes to the pending set.
   */
  readonly outcome: 'excluded' | 'deferred';
  /** Short reason shown in plan and logs (`exclude **\/*.tmp`, `settle 5m`). */
  readonly reason: string;
}

export interface PartitionInfo {
  readonly job: string;
  /** Position in this run (0-based); the pending retry pass is -1. */
  readonly index: number;
  readonly id: string;
  readonly closed: boolean;
  readonly recheck: boolean;
  /** Full key prefix listed for the remote check, if any. */
  readonly listPrefix?: string;
  /** The partition's local folder (absolute); absent for the pending retry pass. */
  readonly dir?: string;
  /** Taken as done without reading: its folders are unchanged since its last complete check. */
  readonly unchanged?: boolean;
}

export interface FilterContext {
  readonly job: string;
  readonly partition: PartitionInfo;
  /** The run's clock (ms since the epoch): one value for the whole run. */
  readonly now: number;
}

/** A file with its final outcome, as reporters see it. */
export interface FileEvent {
  readonly job: string;
  readonly partition: string;
  readonly path: string;
  readonly key: string;
  readonly size: number;
  readonly outcome: FileOutcome;
  readonly reason?: string;
  readonly error?: { code: string; message: string };
  /** Upload attempts made (uploads and failures). */
  readonly attempts?: number;
  /** Uploaded only: checksum (and who verified it), ETag, version id, storage class, retention. */
  readonly stored?: StoredObject;
}

export interface WarningEvent {
  readonly job: string;
  /**
   * recsync's own `W_*` codes, an `E_*` code (a refused path, a partition that failed), or a
   * plugin's.
   */
  readonly code: WarningCode | ErrorCode | (string & {});
  readonly message: string;
  readonly path?: string;
}

export function createHooks() {
  return {
    /** Before anything is read. Async series; args: run info. */
    run: new AsyncSeriesHook<[RunInfo]>(['run']),
    /** A partition starts (also in plan). Async series, in partition order. */
    partition: new AsyncSeriesHook<[PartitionInfo]>(['partition']),
    /**
     * The plan decided what to do with a file (also in plan), before any upload. Sync; observe
     * only; called in stream order, one at a time. Progress displays count discovery with it.
     */
    planned: new SyncHook<[PlanFile]>(['file']),
    /**
     * A partition's listing ended (also in plan; the pending retry pass has index -1): its
     * totals are known, though its uploads may still run. Sync; observe only; in stream order.
     */
    partitionListed: new SyncHook<[PartitionInfo, PlanCounts]>(['partition', 'counts']),
    /** A partition has every file settled, or was cut short (`complete: false`). Async series. */
    partitionDone: new AsyncSeriesHook<[PartitionSummary]>(['summary']),
    /** The run finished (also after an interruption). Async series; args: plain-JSON stats. */
    done: new AsyncSeriesHook<[RunStats]>(['stats']),
    /** The run stopped on a fatal error (exit 4) or a usage error. Sync; observe only. */
    runFailed: new SyncHook<[RecsyncError, RunInfo]>(['error', 'run']),
    /**
     * Should this file be skipped? Async series bail, called concurrently for different files
     * in plan and sync. Return a {@link SkipDecision} to skip (first one wins), or undefined.
     */
    filter: new AsyncSeriesBailHook<[CandidateFile, FilterContext], SkipDecision | undefined>([
      'file',
      'context',
    ]),
    /**
     * Local path → object key. Sync waterfall; the first argument is the key so far
     * (target prefix + relative path). Must be pure: plan and sync call it for the same file.
     */
    key: new SyncWaterfallHook<[string, CandidateFile | MissingFile]>(['key', 'file']),
    /**
     * PutObject input → PutObject input (metadata, storage class, retention). Async waterfall,
     * called concurrently, once per attempt. Do not replace Body, Key or checksum fields.
     */
    beforeUpload: new AsyncSeriesWaterfallHook<[PutObjectCommandInput, CandidateFile]>([
      'input',
      'file',
    ]),
    /** The object is durably stored (S3 answered 200). Sync; observe only. */
    uploaded: new SyncHook<[FileEvent]>(['event']),
    /** Not uploaded: present, excluded, deferred or vanished. Sync; observe only. */
    skipped: new SyncHook<[FileEvent]>(['event']),
    /** Failed after retries; the file is in the pending set. Sync; observe only. */
    uploadFailed: new SyncHook<[FileEvent]>(['event']),
    /**
     * Something worth telling that is not a file outcome (unreadable folder, refused path). Sync.
     */
    warning: new SyncHook<[WarningEvent]>(['warning']),
  };
}

export type Hooks = ReturnType<typeof createHooks>;
