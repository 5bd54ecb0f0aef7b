/**
 * The top level of the source: which folders are partitions, and whether the root holds files.
 *
 * The root is read once through the walk's scanner, without a stat of its files, keeping only
 * its folders (with their stats, which decide how each partition's walk starts), so a flat
 * archive of millions of files costs no memory here. The names are sorted into partition order.
 * A symlink at the top is a partition only when symlinks are followed and it leads to a folder
 * inside the source; otherwise it is an entry of the root, which the root partition counts.
 *
 * Stats taken here may be older than the partition's walk: whatever changed since happened
 * after the run's clock, and belongs to the next run.
 */
import { realpath, stat } from 'node:fs/promises';
import { IncompleteWalkError, RecsyncError, type PathRules } from '@recsync/framework';
import { comparePartitionIds } from './cursor.js';
import type { ScanSession } from './walk/runner.js';
import type { DirInfo } from './walk/scan.js';
import type { WalkRules } from './walk/walker.js';

export interface TopLevel {
  /** Folder names (and followed links to folders), in partition order. */
  readonly names: readonly string[];
  readonly folders: ReadonlyMap<string, DirInfo>;
  /** The root holds something other than folders (files, links, special files). */
  readonly rootEntries: boolean;
  /** Real path of the source root. */
  readonly rootReal: string;
  /** `dev:ino` of the root (loop guard). */
  readonly rootId: string;
  /** Folders left out because the include/exclude globs can take nothing below them. */
  readonly excluded: number;
}

export interface TopLevelOptions {
  readonly session: ScanSession;
  readonly rules: WalkRules;
  readonly paths: PathRules;
}

/** Reads the root. A missing root is a usage error; an unreadable one fails the run's listing. */
export async function readTopLevel(
  source: string,
  { session, rules, paths }: TopLevelOptions,
): Promise<TopLevel> {
  const rootStats = await stat(source).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw new IncompleteWalkError([{ dir: source, error: error.code ?? String(error) }]);
  });
  if (!rootStats?.isDirectory()) {
    throw new RecsyncError('E_USAGE', {
      message: `the source folder ${source} does not exist or is not a folder`,
      hint:
        "check the job's `source`; an unmounted share would otherwise look like an archive " +
        'with nothing new',
    });
  }
  const rootReal = await realpath(source);
  const folders = new Map<string, DirInfo>();
  let rootEntries = false;
  let excluded = 0;
  const id = session.start({
    dir: source,
    files: false,
    subdirs: true,
    subdirLimit: -1,
    all: false,
    cutoff: -Infinity,
    until: rules.until,
    ctime: rules.ctime,
    statDirs: true,
    follow: rules.follow,
    rootReal,
    small: rootStats.size <= 256 * 1024,
  });
  for (;;) {
    const { chunk } = await session.next();
    if (chunk.error !== undefined) {
      if (!chunk.done) session.cancel([id]);
      throw new IncompleteWalkError([{ dir: source, error: chunk.error }]);
    }
    if (chunk.counts.other > 0) rootEntries = true;
    for (const info of chunk.dirs) {
      if (paths.prunesDir(info.name)) excluded++;
      else folders.set(info.name, info);
    }
    if (chunk.done) break;
    session.more(id);
  }
  const names = [...folders.keys()].sort(comparePartitionIds);
  return {
    names,
    folders,
    rootEntries,
    rootReal,
    rootId: `${rootStats.dev}:${rootStats.ino}`,
    excluded,
  };
}
