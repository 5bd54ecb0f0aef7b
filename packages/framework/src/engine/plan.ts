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
import { keyProblem, localPath, pathRefusal, RootGuard, strategyRefusalCode } from './paths.js';
import { walkFiles } from '../fs/walk.js';
import { FolderLog, foldersUnchanged, type FolderStamp, type PartitionRecord } from './folders.js';
import type { PendingEntry } from '../state/format.js';
import { formatDuration } from '../units.js';
import { ownsKey } from '../shard.js';

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
  readonly code?: string;
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
  readonly pending: ReadonlyMap<
    string,
    Pick<PendingEntry, 'partition' | 'firstSeen' | 'folder' | 'raw' | 'mustUpload'>
  >;
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
  const concurrency = ctx.checkConcurrency ?? 32;
  // A snapshot: sync removes entries from the live pending set as they succeed, and a retried
  // file must not be taken again when its partition is read.
  const retried = new Set(ctx.pending.keys());
  const folders = [...ctx.pending].filter(([, e]) => e.folder).map(([p]) => p);
  // Files below a pending folder come from the pending pass's walk of that folder.
  const handled = (p: string) =>
    retried.has(p) || folders.some((f) => f === '' || p.startsWith(`${f}/`));
  if (retried.size > 0) {
    const info: PartitionInfo = {
      job: job.name,
      index: -1,
      id: 'pending',
      closed: false,
      recheck: true,
    };
    yield* partitionItems(
      ctx,
      info,
      pendingCandidates(ctx, retried),
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
  for await (const { partition, check, unchanged } of prefetched(partitions, ctx)) {
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
      handled,
      log,
    );
  }
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
    const classify = (file: FileCandidate | RetryCandidate) => classifyFile(ctx, info, file, check);
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

/** A pending-set entry as a candidate: it may have vanished, and it keeps its partition. */
interface RetryCandidate extends FileCandidate {
  readonly vanished?: true;
  readonly reason?: string;
  /** The partition the entry was first found in. */
  readonly partitionId?: string;
}

/**
 * The pending set as candidates. A pending file that no longer exists is dropped as vanished,
 * unless the strategy keeps missing files waiting (`missingTimeoutMs`): then it stays deferred
 * until that long after it was first seen, and is reported missing after. A pending folder (one
 * that could not be read) is walked again: its files come out as candidates, or the folder
 * again as unreadable.
 */
async function* pendingCandidates(
  ctx: PlanContext,
  paths: ReadonlySet<string>,
): AsyncGenerator<RetryCandidate> {
  const timeout = ctx.strategy.missingTimeoutMs;
  const guard = new RootGuard(ctx.job.source);
  for (const path of paths) {
    if (ctx.signal.aborted) return;
    const entry = ctx.pending.get(path);
    const local = localPath(ctx.job.source, { path, rawPath: entry?.raw });
    const kept = { partitionId: entry?.partition, ...(entry?.raw ? { rawPath: entry.raw } : {}) };
    if (!(await guard.parentInside(local))) {
      yield {
        path,
        size: 0,
        mtimeMs: 0,
        refused: 'its folder resolves outside the source root (a symlink)',
        refusedCode: 'E_FILE_SYMLINK_OUT',
        ...kept,
      };
      continue;
    }
    if (entry?.folder) {
      const folder = typeof local === 'string' ? local : { abs: local, path, rawPath: entry.raw! };
      const options = {
        source: ctx.job.source,
        followSymlinks: ctx.job.followSymlinks,
        signal: ctx.signal,
      };
      for await (const file of walkFiles(folder, options)) {
        yield { ...file, partitionId: entry.partition };
      }
      continue;
    }
    try {
      const stats = await lstat(local);
      yield { path, size: stats.size, mtimeMs: stats.mtimeMs, ...kept };
    } catch {
      const since = Date.parse(entry?.firstSeen ?? '');
      if (timeout !== undefined && !(ctx.now.getTime() - since > timeout))
        yield { path, size: 0, mtimeMs: 0, missing: true, ...kept };
      else
        yield {
          path,
          size: 0,
          mtimeMs: 0,
          vanished: true,
          ...kept,
          ...(timeout !== undefined
            ? { reason: `missing for more than ${formatDuration(timeout)}` }
            : {}),
        };
    }
  }
}

async function classifyFile(
  ctx: PlanContext,
  info: PartitionInfo,
  file: FileCandidate | RetryCandidate,
  check: PresenceCheck,
): Promise<PlanFile | undefined> {
  // Scale-out (see ../shard.ts): another shard's file is not this run's business at all. An entry
  // without a key is owned by the hash of the key it would have; an unreadable folder by every shard.
  const mine = (key: string) => ownsKey(ctx.job.shard, key);
  const defaultKey = ctx.job.target.prefix + file.path;
  if (
    (file.refused || (file.unreadable && !file.unreadable.folder) || pathRefusal(file.path)) &&
    !mine(defaultKey)
  )
    return undefined;
  const partition = ('partitionId' in file && file.partitionId) || info.id;
  const base = {
    type: 'file' as const,
    partitionIndex: info.index,
    partition,
    path: file.path,
    size: file.size,
    mtimeMs: file.mtimeMs,
    ...(file.rawPath ? { rawPath: file.rawPath } : {}),
  };
  const origin = file.origin ? ` (${file.origin})` : '';
  if (file.refused)
    return {
      ...base,
      key: '',
      action: 'refused',
      code: strategyRefusalCode(file),
      reason: `${file.refused}${origin}`,
    };
  if (file.unreadable) return unreadableItem(ctx, base, file.unreadable);
  const badPath = pathRefusal(file.path);
  if (badPath)
    return {
      ...base,
      key: '',
      action: 'refused',
      code: badPath.code,
      reason: `${badPath.reason}${origin}`,
    };
  const key = ctx.hooks.key.call(defaultKey, file);
  if (!mine(key)) return undefined;
  const badKey = keyProblem(key);
  if (badKey) {
    const reason = `cannot be uploaded under this name: ${badKey}; rename the file, exclude it, or map its key with a key hook plugin`;
    return { ...base, key, action: 'failed', code: 'E_FILE_BAD_KEY', reason };
  }
  if ('vanished' in file && file.vanished)
    return { ...base, key, action: 'vanished', reason: file.reason ?? 'no longer exists locally' };
  if (file.missing)
    return {
      ...base,
      key,
      action: 'deferred',
      reason: `${file.waiting ?? 'not found yet'}${origin}`,
    };
  const skip = await ctx.hooks.filter.promise(file, {
    job: ctx.job.name,
    partition: info,
    now: ctx.now.getTime(),
  });
  if (skip) return { ...base, key, action: skip.outcome, reason: skip.reason };
  // A file whose last upload did not verify (or met a conflicting object) is never forgiven by a listing.
  const mustUpload = info.index < 0 && ctx.pending.get(file.path)?.mustUpload !== undefined;
  if (!mustUpload && (await check.isPresent(key, file.size, file.mtimeMs)))
    return { ...base, key, action: 'present' };
  return { ...base, key, action: 'upload' };
}

function unreadableItem(
  ctx: PlanContext,
  base: Omit<PlanFile, 'key' | 'action'>,
  problem: { error: string; folder: boolean },
): PlanFile {
  const where = localPath(ctx.job.source, base).toString();
  if (problem.folder) {
    const reason = `folder cannot be read (${problem.error}): ${where}; its files are not backed up until it can be (fix the permissions)`;
    return {
      ...base,
      key: '',
      action: 'failed',
      code: 'E_FOLDER_UNREADABLE',
      folder: true,
      reason,
    };
  }
  const reason = `cannot be read (${problem.error}): ${where} (fix the permissions)`;
  return { ...base, key: '', action: 'failed', code: 'E_FILE_READ', reason };
}

interface Prefetched {
  readonly partition: Partition;
  readonly check: PresenceCheck;
  /** Its folders are unchanged since its last complete check: not read, not listed. */
  readonly unchanged: boolean;
}

const NOT_CHECKED: PresenceCheck = { isPresent: async () => false };

/**
 * Pulls partitions a few ahead of the consumer so their listings run concurrently. A partition
 * whose folders are unchanged since its last complete check gets no listing at all.
 */
async function* prefetched(
  partitions: AsyncIterable<Partition>,
  ctx: PlanContext,
): AsyncGenerator<Prefetched> {
  const ahead = Math.max(1, (ctx.prefetch ?? 3) + 1);
  const window: Prefetched[] = [];
  const iterator = partitions[Symbol.asyncIterator]();
  let done = false;
  const fill = async () => {
    while (!done && window.length < ahead) {
      const next = await iterator.next();
      if (next.done) done = true;
      else {
        const p = next.value;
        const record = ctx.records?.byId.get(p.id);
        if (record && (await foldersUnchanged(p.dir, record, ctx.records!.config))) {
          window.push({ partition: p, check: NOT_CHECKED, unchanged: true });
          continue;
        }
        const listPrefix = p.prefix !== undefined ? ctx.job.target.prefix + p.prefix : undefined;
        const eager = await exists(p.dir); // no folder, no files: do not list
        window.push({
          partition: p,
          check: ctx.checker.forPrefix(listPrefix, ctx.signal, { mode: p.remoteCheck, eager }),
          unchanged: false,
        });
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
