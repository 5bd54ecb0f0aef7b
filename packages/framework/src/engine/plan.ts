/**
 * The plan stream: the one path `plan` and `sync` share. It pulls partitions from the
 * strategy, files from each partition, runs the filter/key hooks and the remote check, and
 * yields serialisable {@link PlanItem}s. It changes nothing (no bucket write, no state write):
 * `plan` prints the items, `sync` applies them.
 *
 * Order: the pending retry pass first (index -1), then partitions in strategy order. Within a
 * partition, files come in completion order of their checks (at most `checkConcurrency` in
 * flight). Listings of the next few partitions are started ahead of time.
 */
import { setMaxListeners } from 'node:events';
import { access, lstat } from 'node:fs/promises';
import { mapUnordered } from '../concurrency.js';
import { describeError, isRecsyncError } from '../errors.js';
import type { Hooks, PartitionInfo } from '../hooks.js';
import type { FileCandidate, Partition, StrategyInstance, RangeRequest } from '../strategy.js';
import type { ResolvedJob } from '../config/resolve.js';
import type { RemoteChecker, PresenceCheck } from './remote-check.js';
import { absoluteOf, keyProblem, pathProblem, RootGuard } from './paths.js';
import { formatDuration } from '../units.js';

export type PlanAction = 'upload' | 'present' | 'excluded' | 'deferred' | 'refused' | 'vanished';

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
    };

export interface PlanContext {
  readonly job: ResolvedJob;
  readonly hooks: Hooks;
  readonly strategy: StrategyInstance<unknown>;
  readonly checker: RemoteChecker;
  readonly cursor: unknown;
  /** The pending set, retried first. */
  readonly pending: ReadonlyMap<string, { partition: string; firstSeen: string }>;
  readonly range?: RangeRequest;
  readonly now: Date;
  /** Stops reading new work (graceful stop). */
  readonly signal: AbortSignal;
  readonly checkConcurrency?: number;
  /** Partitions whose listing is started ahead of the current one. */
  readonly prefetch?: number;
}

export const PLAN_ACTIONS: readonly PlanAction[] = ['upload', 'present', 'excluded', 'deferred', 'refused', 'vanished'];

export function emptyPlanCounts(): PlanCounts {
  return Object.fromEntries(PLAN_ACTIONS.map((a) => [a, { files: 0, bytes: 0 }])) as PlanCounts;
}

export async function* planStream(ctx: PlanContext): AsyncGenerator<PlanItem> {
  const { job, signal } = ctx;
  // Every in-flight listing and HEAD listens on the run's signal.
  setMaxListeners(0, signal);
  const concurrency = ctx.checkConcurrency ?? 32;
  // A snapshot: sync removes entries from the live pending set as they succeed, and a retried
  // file must not be taken again when its partition is read.
  const retried = new Set(ctx.pending.keys());
  if (retried.size > 0) {
    const info: PartitionInfo = { job: job.name, index: -1, id: 'pending', closed: false, recheck: true };
    yield* partitionItems(ctx, info, pendingCandidates(ctx, retried), ctx.checker.single(signal), concurrency, () => false);
    if (signal.aborted) return;
  }
  if (signal.aborted) return;
  const partitions = ctx.strategy.partitions({ cursor: ctx.cursor, range: ctx.range, now: ctx.now, signal });
  let index = 0;
  for await (const { partition, check } of prefetched(partitions, ctx)) {
    if (signal.aborted) return;
    const info: PartitionInfo = {
      job: job.name,
      index: index++,
      id: partition.id,
      closed: partition.closed,
      recheck: partition.recheck ?? false,
      ...(partition.prefix !== undefined ? { listPrefix: job.target.prefix + partition.prefix } : {}),
    };
    await ctx.hooks.partition.promise(info);
    yield* partitionItems(ctx, info, partition.files(), check, concurrency, (p) => retried.has(p));
  }
}

async function* partitionItems(
  ctx: PlanContext,
  info: PartitionInfo,
  files: AsyncIterable<FileCandidate | VanishedCandidate>,
  check: PresenceCheck,
  concurrency: number,
  alreadyHandled: (path: string) => boolean,
): AsyncGenerator<PlanItem> {
  yield { type: 'partition', partition: info };
  const counts = emptyPlanCounts();
  let error: { code: string; message: string } | undefined;
  try {
    const classify = (file: FileCandidate | VanishedCandidate) => classifyFile(ctx, info, file, check);
    for await (const item of mapUnordered(skipHandled(files, alreadyHandled), concurrency, classify)) {
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
  ctx.hooks.partitionListed.call(info, counts);
  yield { type: 'partitionEnd', partition: info, counts, ...(error ? { error } : {}) };
}

async function* skipHandled<T extends { path: string }>(files: AsyncIterable<T>, handled: (p: string) => boolean): AsyncGenerator<T> {
  for await (const file of files) if (!handled(file.path)) yield file;
}

interface VanishedCandidate extends FileCandidate {
  readonly vanished: true;
  readonly reason?: string;
}

/**
 * The pending set as candidates. A pending file that no longer exists is dropped as vanished,
 * unless the strategy keeps missing files waiting (`missingTimeoutMs`): then it stays deferred
 * until that long after it was first seen, and is reported missing after.
 */
async function* pendingCandidates(ctx: PlanContext, paths: ReadonlySet<string>): AsyncGenerator<FileCandidate | VanishedCandidate> {
  const timeout = ctx.strategy.missingTimeoutMs;
  const guard = new RootGuard(ctx.job.source);
  for (const path of paths) {
    if (ctx.signal.aborted) return;
    if (!(await guard.parentInside(absoluteOf(ctx.job.source, path)))) {
      yield { path, size: 0, mtimeMs: 0, refused: 'its folder resolves outside the source root (a symlink)' };
      continue;
    }
    try {
      const stats = await lstat(absoluteOf(ctx.job.source, path));
      yield { path, size: stats.size, mtimeMs: stats.mtimeMs };
    } catch {
      const since = Date.parse(ctx.pending.get(path)?.firstSeen ?? '');
      if (timeout !== undefined && !(ctx.now.getTime() - since > timeout)) yield { path, size: 0, mtimeMs: 0, missing: true };
      else yield { path, size: 0, mtimeMs: 0, vanished: true, ...(timeout !== undefined ? { reason: `missing for more than ${formatDuration(timeout)}` } : {}) };
    }
  }
}

async function classifyFile(
  ctx: PlanContext,
  info: PartitionInfo,
  file: FileCandidate | VanishedCandidate,
  check: PresenceCheck,
): Promise<PlanFile> {
  const base = { type: 'file' as const, partitionIndex: info.index, partition: info.id, path: file.path, size: file.size, mtimeMs: file.mtimeMs };
  if (file.refused) return { ...base, key: '', action: 'refused', reason: `${file.refused}${file.origin ? ` (${file.origin})` : ''}` };
  const badPath = pathProblem(file.path);
  if (badPath) return { ...base, key: '', action: 'refused', reason: `${badPath}${file.origin ? ` (${file.origin})` : ''}` };
  const key = ctx.hooks.key.call(ctx.job.target.prefix + file.path, file);
  const badKey = keyProblem(key);
  if (badKey) return { ...base, key, action: 'refused', reason: badKey };
  if ('vanished' in file) return { ...base, key, action: 'vanished', reason: file.reason ?? 'no longer exists locally' };
  if (file.missing) return { ...base, key, action: 'deferred', reason: `not found yet${file.origin ? ` (${file.origin})` : ''}` };
  const skip = await ctx.hooks.filter.promise(file, { job: ctx.job.name, partition: info, now: ctx.now.getTime() });
  if (skip) return { ...base, key, action: skip.outcome, reason: skip.reason };
  if (await check.isPresent(key, file.size, file.mtimeMs)) return { ...base, key, action: 'present' };
  return { ...base, key, action: 'upload' };
}

/** Pulls partitions a few ahead of the consumer so their listings run concurrently. */
async function* prefetched(
  partitions: AsyncIterable<Partition>,
  ctx: PlanContext,
): AsyncGenerator<{ partition: Partition; check: PresenceCheck }> {
  const ahead = Math.max(1, (ctx.prefetch ?? 3) + 1);
  const window: { partition: Partition; check: PresenceCheck }[] = [];
  const iterator = partitions[Symbol.asyncIterator]();
  let done = false;
  const fill = async () => {
    while (!done && window.length < ahead) {
      const next = await iterator.next();
      if (next.done) done = true;
      else {
        const p = next.value;
        const listPrefix = p.prefix !== undefined ? ctx.job.target.prefix + p.prefix : undefined;
        const eager = await exists(p.dir); // no folder, no files: do not list
        window.push({ partition: p, check: ctx.checker.forPrefix(listPrefix, ctx.signal, { mode: p.remoteCheck, eager }) });
      }
    }
  };
  try {
    for (;;) {
      await fill();
      const head = window.shift();
      if (!head) return;
      yield head;
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}

async function exists(dir: string): Promise<boolean> {
  return access(dir).then(
    () => true,
    () => false,
  );
}
