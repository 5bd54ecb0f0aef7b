/**
 * The plan stream: the one path `plan` and `sync` share, and the read half of the pipeline
 * (see ./README.md). It runs the pending pass (./pending.ts), then discovers partitions
 * (./discover.ts), passes each file through the filter (./filter.ts) and the remote check
 * (./remote-check.ts), and yields serialisable {@link PlanItem}s. It changes nothing (no bucket
 * write, no state write): `plan` prints the items, `sync` uploads and commits them.
 *
 * Order: the pending retry pass first (index -1), then partitions in strategy order. Within a
 * partition, files come in completion order of their checks (at most `checkConcurrency` in
 * flight). Listings of the next few partitions are started ahead of time.
 */
import { setMaxListeners } from 'node:events';
import { mapUnordered } from '../concurrency.js';
import { CHECK_CONCURRENCY, LISTING_PREFETCH } from '../limits.js';
import { describeError, isRecsyncError, type FileErrorCode } from '../errors.js';
import type { Hooks, PartitionInfo } from '../hooks.js';
import type { FileCandidate, StrategyInstance, RangeRequest } from '../strategy.js';
import type { ResolvedJob } from '../config/resolve.js';
import { checkRemote, type RemoteChecker, type PresenceCheck } from './remote-check.js';
import { FolderLog, type FolderStamp, type PartitionRecord } from './folders.js';
import { discoverPartitions } from './discover.js';
import { filterFile } from './filter.js';
import {
  mustUpload,
  pendingCandidates,
  pendingPartition,
  PendingSnapshot,
  type PendingView,
  type RetryCandidate,
} from './pending.js';

/**
 * What sync will do with a file. `failed`: it cannot be uploaded as it is (a name that cannot be
 * a key, an unreadable folder or file): it goes to the pending set with an error code and keeps
 * the exit code at 1 on every run until someone acts; it is never a final "done".
 */
export type PlanAction =
  | 'upload'
  | 'present'
  | 'excluded'
  | 'deferred'
  | 'refused'
  | 'vanished'
  | 'failed';

export interface PlanFile {
  readonly type: 'file';
  readonly partitionIndex: number;
  readonly partition: string;
  readonly action: PlanAction;
  readonly path: string;
  readonly key: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly reason?: string;
  /** Error code: for `failed`, and for `refused` the cause (see `RefusalCode` in ./paths.ts). */
  readonly code?: FileErrorCode;
  /** The entry is a folder (an unreadable one, kept pending as a whole). */
  readonly folder?: boolean;
  /** Raw bytes of the relative path (base64) when they are not valid UTF-8. */
  readonly rawPath?: string;
}

export type PlanCounts = Record<PlanAction, { files: number; bytes: number }>;

export type PlanItem =
  | { readonly type: 'partition'; readonly partition: PartitionInfo }
  | PlanFile
  | {
      readonly type: 'partitionEnd';
      readonly partition: PartitionInfo;
      readonly counts: PlanCounts;
      /** Set when the partition could not be fully listed: it is not done. */
      readonly error?: { code: string; message: string };
      /** Stamps of the folders walked, when every one could be read (saved by sync once done). */
      readonly folders?: Record<string, FolderStamp>;
    };

export interface PlanContext {
  readonly job: ResolvedJob;
  readonly hooks: Hooks;
  readonly strategy: StrategyInstance<unknown>;
  readonly checker: RemoteChecker;
  readonly cursor: unknown;
  /** The pending set, retried first. */
  readonly pending: ReadonlyMap<string, PendingView>;
  readonly range?: RangeRequest;
  readonly now: Date;
  /** Stops reading new work (graceful stop). */
  readonly signal: AbortSignal;
  readonly checkConcurrency?: number;
  /** Partitions whose listing is started ahead of the current one. */
  readonly prefetch?: number;
  /** Folder stamps of completely checked partitions, and the config they were made under. */
  readonly records?: {
    readonly byId: ReadonlyMap<string, PartitionRecord>;
    readonly config: string;
  };
}

export const PLAN_ACTIONS: readonly PlanAction[] = [
  'upload',
  'present',
  'excluded',
  'deferred',
  'failed',
  'refused',
  'vanished',
];

export function emptyPlanCounts(): PlanCounts {
  return Object.fromEntries(PLAN_ACTIONS.map((a) => [a, { files: 0, bytes: 0 }])) as PlanCounts;
}

export async function* planStream(ctx: PlanContext): AsyncGenerator<PlanItem> {
  const { job, signal } = ctx;
  // Every in-flight listing and HEAD listens on the run's signal.
  setMaxListeners(0, signal);
  const concurrency = ctx.checkConcurrency ?? CHECK_CONCURRENCY;
  const snapshot = new PendingSnapshot(ctx.pending);
  if (snapshot.paths.size > 0) {
    yield* partitionItems(
      ctx,
      pendingPartition(job.name),
      pendingCandidates(ctx, snapshot.paths),
      ctx.checker.single(signal),
      concurrency,
      () => false,
    );
    if (signal.aborted) return;
  }
  if (signal.aborted) return;
  const partitions = ctx.strategy.partitions({
    cursor: ctx.cursor,
    range: ctx.range,
    now: ctx.now,
    signal,
  });
  let index = 0;
  for await (const { partition, check, unchanged } of discoverPartitions(
    partitions,
    ctx,
    ctx.prefetch ?? LISTING_PREFETCH,
  )) {
    if (signal.aborted) return;
    const info: PartitionInfo = {
      job: job.name,
      index: index++,
      id: partition.id,
      closed: partition.closed,
      recheck: partition.recheck ?? false,
      dir: partition.dir,
      ...(unchanged ? { unchanged: true } : {}),
      ...(partition.prefix !== undefined
        ? { listPrefix: job.target.prefix + partition.prefix }
        : {}),
    };
    await ctx.hooks.partition.promise(info);
    if (unchanged) {
      yield { type: 'partition', partition: info };
      ctx.hooks.partitionListed.call(info, emptyPlanCounts());
      yield { type: 'partitionEnd', partition: info, counts: emptyPlanCounts() };
      continue;
    }
    const log = ctx.records ? new FolderLog() : undefined;
    yield* partitionItems(
      ctx,
      info,
      partition.files({ onFolder: log?.sink }),
      check,
      concurrency,
      (p) => snapshot.handled(p),
      log,
    );
  }
}

/** One file through the filter and the remote check; `undefined`: another shard's file. */
async function planFile(
  ctx: PlanContext,
  info: PartitionInfo,
  file: FileCandidate | RetryCandidate,
  check: PresenceCheck,
): Promise<PlanFile | undefined> {
  const item = await filterFile(ctx, info, file);
  return item && checkRemote(item, check, mustUpload(ctx.pending, info, file.path));
}

async function* partitionItems(
  ctx: PlanContext,
  info: PartitionInfo,
  files: AsyncIterable<FileCandidate | RetryCandidate>,
  check: PresenceCheck,
  concurrency: number,
  alreadyHandled: (path: string) => boolean,
  log?: FolderLog,
): AsyncGenerator<PlanItem> {
  yield { type: 'partition', partition: info };
  const counts = emptyPlanCounts();
  let error: { code: string; message: string } | undefined;
  try {
    const classify = (file: FileCandidate | RetryCandidate) => planFile(ctx, info, file, check);
    for await (const item of mapUnordered(
      skipHandled(files, alreadyHandled),
      concurrency,
      classify,
    )) {
      if (!item) continue; // another shard's file
      counts[item.action].files += 1;
      counts[item.action].bytes += item.size;
      ctx.hooks.planned.call(item);
      yield item;
      if (ctx.signal.aborted) return; // no partitionEnd: the partition is not done
    }
  } catch (e) {
    if (isRecsyncError(e) && e.errorClass === 'fatal') throw e;
    error = { code: isRecsyncError(e) ? e.code : 'E_PARTITION', message: describeError(e) };
  }
  // A strategy's walk ends early when the run is stopped: what it listed is not the partition.
  if (ctx.signal.aborted) return;
  ctx.hooks.partitionListed.call(info, counts);
  const folders =
    log?.valid && !error && Object.keys(log.folders).length > 0 ? log.folders : undefined;
  yield {
    type: 'partitionEnd',
    partition: info,
    counts,
    ...(error ? { error } : {}),
    ...(folders ? { folders } : {}),
  };
}

async function* skipHandled<T extends { path: string }>(
  files: AsyncIterable<T>,
  handled: (p: string) => boolean,
): AsyncGenerator<T> {
  for await (const file of files) if (!handled(file.path)) yield file;
}
