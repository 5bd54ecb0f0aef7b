/**
 * The pending set: files (and unreadable folders) that got no final outcome in an earlier run.
 *
 * Read side: every plan starts with the pending pass (partition index -1), which turns the saved
 * entries back into candidates ({@link pendingCandidates}); the partitions read after it skip
 * what the pass already took ({@link PendingSnapshot}).
 * Write side: a sync records each file's outcome here ({@link PendingLog}): `deferred` and
 * `failed` keep or add an entry, every other outcome removes it.
 */
import { lstat } from 'node:fs/promises';
import type { PartitionInfo } from '../hooks.js';
import type { FileCandidate } from '../strategy.js';
import type { PendingEntry } from '../state/format.js';
import { walkFiles } from '../fs/walk.js';
import { formatDuration } from '../units.js';
import { localPath, RootGuard } from './paths.js';
import type { PlanContext, PlanFile } from './plan.js';
import type { UploadResult } from './upload.js';

/** What the plan reads from a pending entry. */
export type PendingView = Pick<
  PendingEntry,
  'partition' | 'firstSeen' | 'folder' | 'raw' | 'mustUpload'
>;

/** The pending pass's partition. */
export function pendingPartition(job: string): PartitionInfo {
  return { job, index: -1, id: 'pending', closed: false, recheck: true };
}

/**
 * The pending set as the run found it. A snapshot: sync removes entries from the live set as
 * they succeed, and a retried file must not be taken again when its partition is read.
 */
export class PendingSnapshot {
  readonly paths: ReadonlySet<string>;
  private readonly folders: readonly string[];

  constructor(pending: ReadonlyMap<string, PendingView>) {
    this.paths = new Set(pending.keys());
    this.folders = [...pending].filter(([, e]) => e.folder).map(([p]) => p);
  }

  /**
   * Taken by the pending pass: the path itself, or a file below a pending folder (walked again).
   */
  handled(path: string): boolean {
    return this.paths.has(path) || this.folders.some((f) => f === '' || path.startsWith(`${f}/`));
  }
}

/** A pending file that no longer exists and is not waited for: dropped as `vanished`. */
export interface VanishedEntry {
  readonly kind: 'vanished';
  readonly path: string;
  readonly rawPath?: string;
  readonly reason?: string;
}

/** A pending-set entry as a candidate: it may have vanished, and it keeps its partition. */
export type RetryCandidate = (FileCandidate | VanishedEntry) & {
  /** The partition the entry was first found in. */
  readonly partitionId?: string;
};

/**
 * The pending set as candidates. A pending file that no longer exists is dropped as vanished,
 * unless the strategy keeps missing files waiting (`missingTimeoutMs`): then it stays deferred
 * until that long after it was first seen, and is reported missing after. A pending folder (one
 * that could not be read) is walked again: its files come out as candidates, or the folder
 * again as unreadable.
 */
export async function* pendingCandidates(
  ctx: PlanContext,
  paths: ReadonlySet<string>,
): AsyncGenerator<RetryCandidate> {
  const timeout = ctx.strategy.features?.missingTimeoutMs;
  const guard = new RootGuard(ctx.job.source);
  for (const path of paths) {
    if (ctx.signal.aborted) return;
    const entry = ctx.pending.get(path);
    const local = localPath(ctx.job.source, { path, rawPath: entry?.raw });
    const kept = { partitionId: entry?.partition, ...(entry?.raw ? { rawPath: entry.raw } : {}) };
    if (!(await guard.parentInside(local))) {
      yield {
        kind: 'refused',
        path,
        reason: 'its folder resolves outside the source root (a symlink)',
        code: 'E_FILE_SYMLINK_OUT',
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
        yield { kind: 'missing', path, ...kept };
      else
        yield {
          kind: 'vanished',
          path,
          ...kept,
          ...(timeout !== undefined
            ? { reason: `missing for more than ${formatDuration(timeout)}` }
            : {}),
        };
    }
  }
}

/**
 * A file whose last upload did not verify (or met a conflicting object): the pending pass
 * uploads it again; no listing or HEAD forgives it.
 */
export function mustUpload(
  pending: ReadonlyMap<string, PendingView>,
  info: PartitionInfo,
  path: string,
): boolean {
  return info.index < 0 && pending.get(path)?.mustUpload !== undefined;
}

/** A file's final outcome in a sync (never `aborted`: that is no outcome). */
export type FinalResult = Exclude<UploadResult, { outcome: 'aborted' | 'refused' }>;

/** Codes a later run must not forgive: the file is uploaded again until an upload succeeds. */
const STICKY_CODES = new Set(['E_CHECKSUM_MISMATCH', 'E_OBJECT_CONFLICT']);

/** A sync's writes to the pending set. */
export class PendingLog {
  /** Pending folders as the run found them: each is walked again by the pending pass. */
  private readonly folders: string[];
  /** Folders found unreadable in this run (again, or for the first time). */
  private readonly unreadable = new Set<string>();
  private passEnded = false;

  constructor(private readonly pending: Map<string, PendingEntry>) {
    this.folders = [...pending].filter(([, e]) => e.folder).map(([p]) => p);
  }

  /** The pending pass listed everything it had to (no error, not stopped). */
  pendingPassEnded(): void {
    this.passEnded = true;
  }

  /** Records a file's final outcome: `deferred`/`failed` keep an entry, the rest remove it. */
  record(item: PlanFile, result: FinalResult): void {
    const { outcome } = result;
    if (item.folder && outcome === 'failed') this.unreadable.add(item.path);
    if (outcome !== 'deferred' && outcome !== 'failed') {
      this.pending.delete(item.path);
      return;
    }
    const reason = 'reason' in result ? result.reason : undefined;
    const previous = this.pending.get(item.path);
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
    this.pending.set(item.path, entry);
  }

  /**
   * A pending folder that the pending pass walked without finding it unreadable again is read
   * now: every file in it got its own outcome (a failure is its own pending entry), so the
   * folder entry goes. Only after a run that ended normally, when no item is left in flight.
   */
  settleFolders(): void {
    if (!this.passEnded) return;
    for (const folder of this.folders) {
      if (!this.unreadable.has(folder)) this.pending.delete(folder);
    }
  }
}

function stickyFailure(
  previous: PendingEntry | undefined,
  result: FinalResult,
  nowIso: string,
): Pick<PendingEntry, 'mustUpload'> {
  if (result.outcome === 'failed' && STICKY_CODES.has(result.error.code))
    return { mustUpload: previous?.mustUpload ?? { code: result.error.code, since: nowIso } };
  return previous?.mustUpload ? { mustUpload: previous.mustUpload } : {};
}
