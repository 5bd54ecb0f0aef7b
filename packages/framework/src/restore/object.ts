/**
 * Restores one listed object: where it goes (keys.ts), whether it is readable (archive
 * classes), whether a file is already there (skipped when its size and checksum match: that is
 * how an interrupted restore resumes), then the download into a temp file, checked against
 * the checksum stored at upload before it is moved into place with its mtime. An object whose
 * bytes do not match is reported and never written.
 */
import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { checksumOfFile, storedChecksum } from '../checksum.js';
import { describeError } from '../errors.js';
import { parseMtime } from '../s3/mtime.js';
import { classifyS3Error, targetError } from '../s3/classify.js';
import {
  ARCHIVE_CLASSES,
  isArchived,
  type ListedObject,
  type ObjectDetails,
} from '../s3/reader.js';
import type { S3Target } from '../s3/target.js';
import { downloadRanged, downloadWhole, ObjectGone, type DownloadOptions } from './download.js';
import {
  existing,
  type FolderMaker,
  moveIntoPlace,
  openTemp,
  PathRefused,
  setMtime,
  tempPathOf,
} from './files.js';
import {
  type CaseGuard,
  joinBytes,
  mayHaveRawPath,
  rawPathOf,
  restorePathProblem,
} from './keys.js';

export type RestoreOutcome = 'restored' | 'skipped' | 'failed' | 'refused' | 'archived' | 'planned';

export interface RestoreEvent {
  readonly key: string;
  /** The local path, relative to `--to` (raw names shown as UTF-8 with U+FFFD). */
  readonly path: string;
  readonly size: number;
  readonly outcome: RestoreOutcome;
  readonly reason?: string;
  /** Restored and checked against the checksum stored at upload. */
  readonly verified?: boolean;
  /** Skipped because a different file is there (not overwritten without --overwrite). */
  readonly conflict?: boolean;
}

export interface RestoreContext {
  readonly reader: S3Target;
  readonly to: string;
  /** The job's key prefix: keys restore relative to it. */
  readonly prefix: string;
  readonly overwrite: boolean;
  readonly dryRun: boolean;
  readonly folders: FolderMaker;
  readonly cases: CaseGuard;
  readonly archiveRestore?: { tier: 'Standard' | 'Bulk' | 'Expedited'; days: number };
  readonly download: DownloadOptions;
  readonly signal?: AbortSignal;
}

export async function restoreObject(
  ctx: RestoreContext,
  listed: ListedObject,
): Promise<RestoreEvent> {
  const relKey = listed.key.slice(ctx.prefix.length);
  let base: Pick<RestoreEvent, 'key' | 'path' | 'size'> = {
    key: listed.key,
    path: relKey,
    size: listed.size,
  };
  try {
    if (listed.storageClass && ARCHIVE_CLASSES.has(listed.storageClass) && !listed.restoreExpiry) {
      return await archived(ctx, base, listed.storageClass, listed.restoreInProgress === true);
    }
    let details: ObjectDetails | undefined;
    let rel: Buffer = Buffer.from(relKey, 'utf8');
    if (mayHaveRawPath(relKey)) {
      details = await ctx.reader.headObject(listed.key, { signal: ctx.signal });
      if (!details) throw new ObjectGone(`${listed.key} disappeared from the bucket`);
      const raw = rawPathOf(details.metadata);
      if (raw) rel = raw;
    }
    const problem = restorePathProblem(rel);
    if (problem)
      return { ...base, outcome: 'refused', reason: `not a valid local path: ${problem}` };
    const clash = ctx.cases.clash(rel);
    if (clash !== undefined)
      return {
        ...base,
        outcome: 'refused',
        reason:
          `differs only in case from ${clash}, which this ` +
          'case-insensitive folder already holds',
      };
    const finalPath = joinBytes(ctx.to, rel);
    if (!ctx.dryRun) await ctx.folders.parents(rel);
    const there = await existing(finalPath);
    if (there === 'folder')
      return {
        ...base,
        outcome: 'refused',
        reason:
          'a folder has this name (both "a" and "a/b" exist as keys, or the folder was there)',
      };
    if (there === 'other' && !ctx.overwrite)
      return {
        ...base,
        outcome: 'skipped',
        conflict: true,
        reason: 'a symlink or special file has this name (not replaced without --overwrite)',
      };
    if (there === 'file') {
      details ??= await ctx.reader.headObject(listed.key, { signal: ctx.signal });
      if (!details) throw new ObjectGone(`${listed.key} disappeared from the bucket`);
      if (await sameAsObject(finalPath, details))
        return {
          ...base,
          outcome: 'skipped',
          reason:
            'already restored (same size and checksum, or size and mtime ' +
            'where no checksum is stored)',
        };
      if (!ctx.overwrite)
        return {
          ...base,
          outcome: 'skipped',
          conflict: true,
          reason: 'a different file is there (not overwritten without --overwrite)',
        };
    }
    if (ctx.dryRun)
      return {
        ...base,
        outcome: 'planned',
        reason: there === 'none' ? 'would download' : 'would download and overwrite',
      };
    base = { ...base, size: details?.size ?? listed.size };
    return await download(ctx, base, finalPath, details);
  } catch (error) {
    if (error instanceof PathRefused) return { ...base, outcome: 'refused', reason: error.message };
    if (isArchived(error)) return archived(ctx, base, 'an archive tier', false, true);
    if ((error as { $metadata?: unknown }).$metadata && classifyS3Error(error).kind === 'fatal') {
      throw targetError(error, {
        bucket: ctx.reader.bucket,
        endpoint: ctx.reader.endpoint,
        action: `reading ${base.key}`,
      });
    }
    return { ...base, outcome: 'failed', reason: describeError(error) };
  }
}

async function download(
  ctx: RestoreContext,
  base: Pick<RestoreEvent, 'key' | 'path' | 'size'>,
  finalPath: Buffer,
  known?: ObjectDetails,
): Promise<RestoreEvent> {
  const temp = tempPathOf(finalPath);
  const handle = await openTemp(temp);
  let details = known;
  let result;
  try {
    if (base.size >= ctx.download.rangedFrom) {
      details ??= await ctx.reader.headObject(base.key, { signal: ctx.signal });
      if (!details) throw new ObjectGone(`${base.key} disappeared from the bucket`);
      result = await downloadRanged(
        ctx.reader,
        base.key,
        details.size,
        handle,
        storedChecksum(details.metadata)?.algorithm,
        ctx.download,
      );
    } else {
      const whole = await downloadWhole(ctx.reader, base.key, handle, ctx.signal);
      details = whole.details;
      result = whole;
    }
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  const stored = storedChecksum(details.metadata);
  const fail = async (reason: string): Promise<RestoreEvent> => {
    await rm(temp, { force: true });
    return { ...base, outcome: 'failed', reason };
  };
  if (result.bytes !== details.size)
    return fail(`received ${result.bytes} of ${details.size} bytes; not written`);
  if (stored && result.checksum !== stored.value) {
    return fail(
      `corrupted: the object's bytes hash to ${stored.algorithm} ${result.checksum}, not the ` +
        `${stored.value} stored at upload; not written`,
    );
  }
  await setMtime(temp, mtimeSecondsOf(details));
  if (!(await moveIntoPlace(temp, finalPath, ctx.overwrite))) {
    if ((await existing(finalPath)) === 'folder')
      return {
        ...base,
        outcome: 'refused',
        reason: 'a folder has this name (both "a" and "a/b" exist as keys)',
      };
    return {
      ...base,
      outcome: 'skipped',
      conflict: true,
      reason: 'a file appeared under this name meanwhile (not overwritten without --overwrite)',
    };
  }
  return {
    ...base,
    outcome: 'restored',
    verified: stored !== undefined,
    ...(stored ? {} : { reason: 'no stored checksum: written unverified' }),
  };
}

/**
 * The mtime recorded at upload (nanoseconds in rclone's format), else the object's LastModified.
 */
function mtimeSecondsOf(details: ObjectDetails): number {
  const parsed =
    details.metadata.mtime !== undefined ? parseMtime(details.metadata.mtime) : undefined;
  // Whole microseconds plus half of one: utimes truncates the double it is given, whose
  // resolution today is ~0.24 µs, so the restored mtime lands on the right microsecond.
  if (parsed) return (Number(parsed.ns / 1000n) + 0.5) / 1e6;
  return (details.lastModified?.getTime() ?? Date.now()) / 1000;
}

/**
 * A file already there is the object when its size and checksum match; for an object with no
 * stored checksum, when its size and mtime are what a restore writes.
 */
async function sameAsObject(file: Buffer, details: ObjectDetails): Promise<boolean> {
  const stored = storedChecksum(details.metadata);
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { size, mtimeMs } = await handle.stat();
    if (size !== details.size) return false;
    if (!stored) return Math.abs(mtimeMs / 1000 - mtimeSecondsOf(details)) < 2e-6;
    return (await checksumOfFile(handle, size, stored.algorithm)) === stored.value;
  } finally {
    await handle.close();
  }
}

async function archived(
  ctx: RestoreContext,
  base: Pick<RestoreEvent, 'key' | 'path' | 'size'>,
  storageClass: string,
  inProgress: boolean,
  tiering = false,
): Promise<RestoreEvent> {
  const where = `in ${storageClass}`;
  if (inProgress)
    return {
      ...base,
      outcome: 'archived',
      reason: `${where}: a restore request is in progress; run again when it is done`,
    };
  if (!ctx.archiveRestore || ctx.dryRun)
    return {
      ...base,
      outcome: 'archived',
      reason: `${where}: needs a restore request first (--request-archive-restore)`,
    };
  // Intelligent-Tiering archive tiers take no Days: the object moves back to a frequent tier.
  const days = tiering ? undefined : ctx.archiveRestore.days;
  const answer = await ctx.reader.restoreObject(base.key, {
    tier: ctx.archiveRestore.tier,
    ...(days !== undefined ? { days } : {}),
  });
  const what =
    answer === 'requested'
      ? 'restore requested ' +
        `(${ctx.archiveRestore.tier}${days !== undefined ? `, ${days} days` : ''})`
      : 'a restore request is already in progress';
  return { ...base, outcome: 'archived', reason: `${where}: ${what}; run again when it is done` };
}
