/**
 * Unchanged folders: a partition whose folders have not changed since its last complete check
 * needs no walk and no listing (`lookbackCheck: 'folders'`, the default).
 *
 * While a partition is walked, every folder is stamped (mtime, ctime: taken *before* the
 * folder is read, so a file added during the read changes the folder after its stamp) and its
 * entries counted. When every file of the partition got its outcome, sync saves the stamps in
 * the state. A later run compares each saved folder with what is on disk now: same mtime, same
 * ctime, same number of entries, and the stamp not within a few seconds of the folder's mtime
 * (coarse timestamps and NFS attribute caches can hide a change made in the same second). Only
 * when every folder matches is the partition taken as done without reading it.
 *
 * What this cannot see, by construction: a file rewritten in place keeps its folder's mtime
 * (append-mostly archives do not do that; `lookbackCheck: 'list'` re-lists every partition),
 * and an object deleted from the bucket (`recsync verify` finds those). Records are dropped
 * when the job's config changes in anything that decides which files are taken or how
 * (see {@link configStamp}).
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { countEntries } from './source-check.js';

/** A folder as it was before it was read. */
export interface FolderStamp {
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly entries: number;
  /** When the stamp was taken (ms since the epoch). */
  readonly at: number;
}

/**
 * What sync saves for a completely checked partition. Folder keys are relative to its dir (`.` =
 * itself).
 */
export interface PartitionRecord {
  readonly config: string;
  readonly folders: Record<string, FolderStamp>;
}

/**
 * Receives a folder's stamp during a walk (see `PartitionFilesOptions.onFolder`), or undefined
 * for a folder that could not be stamped (unreadable, or a name that is not valid UTF-8): the
 * partition then gets no record and is read again next time.
 */
export type FolderSink = (relativeToPartition: string, stamp: FolderStamp | undefined) => void;

/** A folder modified this close to its stamp may have changed again within the same tick. */
export const STAMP_MARGIN_MS = 5_000;

/** At most this many partitions keep records (the newest), so the state stays small. */
export const MAX_RECORDS = 200;

/** Collects the stamps of one partition's walk; `valid` turns false when anything was not read. */
export class FolderLog {
  readonly folders: Record<string, FolderStamp> = {};
  valid = true;

  readonly sink: FolderSink = (rel, stamp) => {
    if (stamp) this.folders[rel === '' ? '.' : rel] = stamp;
    else this.valid = false;
  };
}

/**
 * The config in force, as far as it decides which files are taken and where they go: a record
 * made under another one says nothing about this one.
 */
export function configStamp(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** True when every folder of the record is on disk exactly as stamped. */
export async function foldersUnchanged(
  dir: string,
  record: PartitionRecord,
  config: string,
): Promise<boolean> {
  if (record.config !== config) return false;
  const entries = Object.entries(record.folders);
  if (entries.length === 0) return false;
  for (const [rel, stamp] of entries) {
    if (stamp.at - stamp.mtimeMs < STAMP_MARGIN_MS) return false;
    const abs = rel === '.' ? dir : path.join(dir, ...rel.split('/'));
    const now = await lstat(abs).catch(() => undefined);
    if (!now?.isDirectory() || now.mtimeMs !== stamp.mtimeMs || now.ctimeMs !== stamp.ctimeMs)
      return false;
    if ((await countEntries(abs)) !== stamp.entries) return false;
  }
  return true;
}
