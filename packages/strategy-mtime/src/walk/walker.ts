/**
 * The walk of one partition: which directories are read, with which cutoff, and which of their
 * files are stat'ed. The file-system work happens in ./scan.js (threads or main thread, see
 * ./runner.ts); the decisions are made here, on the main thread, from the directories' stats.
 *
 * Per subdirectory, in this order:
 * 1. include/exclude globs: a directory below which no path can be taken is never opened;
 * 2. a directory remembered as unreadable is walked with the (older) cutoff it missed;
 * 3. moved in: its ctime counts and is later than its mtime (a rename, or times restored by
 *    `cp -p`/`rsync -t`/`tar` after the last entry change): every file below is a candidate;
 * 4. write-once pruning (option): its mtime and ctime are older than the cutoff, so no entry was
 *    added, removed or renamed in it since; its files are not stat'ed, only its subdirectories
 *    are visited, and a directory whose link count says it has none is not opened at all;
 * 5. with symlinks followed: a directory already on the path from the root is a loop, skipped.
 *
 * Order: depth first, directories in completion order; candidates are yielded as chunks arrive,
 * never collected. The walk stops between chunks when its signal is aborted (open scans are
 * cancelled) and when its consumer stops pulling.
 */
import path from 'node:path';
import { walkUndecodable, type FileCandidate, type PathRules } from '@recsync/framework';
import type { ScanSession } from './runner.js';
import type { DirInfo, ScanChunk, ScanTask } from './scan.js';

export interface WalkRules {
  /** Upper bound of counted times (`--until`), Infinity without one. */
  readonly until: number;
  /** ctime counts too (files and moved-in directories), not mtime only. */
  readonly ctime: boolean;
  readonly writeOnce: boolean;
  readonly follow: boolean;
}

/** What the walk saw, for `describe()`. */
export interface WalkCounts {
  dirsWalked: number;
  filesStated: number;
  prunedDirs: number;
  movedDirs: number;
  excludedDirs: number;
  specialFiles: number;
  skippedSymlinks: number;
  outsideLinks: number;
  symlinkLoops: number;
  unreadableDirs: number;
  rewalkedDirs: number;
  undecodableNames: number;
}

export function emptyWalkCounts(): WalkCounts {
  return {
    dirsWalked: 0,
    filesStated: 0,
    prunedDirs: 0,
    movedDirs: 0,
    excludedDirs: 0,
    specialFiles: 0,
    skippedSymlinks: 0,
    outsideLinks: 0,
    symlinkLoops: 0,
    unreadableDirs: 0,
    rewalkedDirs: 0,
    undecodableNames: 0,
  };
}

export interface WalkEnv {
  readonly session: ScanSession;
  readonly rules: WalkRules;
  readonly paths: PathRules;
  /** Real path of the source root (followed links must stay inside). */
  readonly rootReal: string;
  readonly counts: WalkCounts;
  readonly signal: AbortSignal;
}

/**
 * The memory of one partition's walk. Keys are directories relative to the source (`.` = the
 * root), values the cutoff they missed (-Infinity: everything).
 */
export interface PartitionMemory {
  /** Remembered from earlier runs as unreadable. */
  readonly remembered: ReadonlyMap<string, number>;
  /** Filled with the directories this walk could not read. */
  readonly unreadable: Map<string, number>;
  /** Filled with remembered directories, and their parents, that this walk read completely. */
  readonly complete: Set<string>;
}

export function partitionMemory(remembered: ReadonlyMap<string, number>): PartitionMemory {
  return { remembered, unreadable: new Map(), complete: new Set() };
}

/**
 * What the partition must remember after a complete walk: the directories it could not read,
 * and remembered ones it did not reach (an unreadable parent hides them). A remembered directory
 * that was read, or whose parent was read without it (it is gone), is forgotten.
 */
export function rememberAfterWalk(memory: PartitionMemory): Map<string, number> {
  const out = new Map(memory.unreadable);
  for (const [dir, cutoff] of memory.remembered) {
    const parent = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
    if (memory.complete.has(dir) || parent === '' || memory.complete.has(parent)) continue;
    out.set(dir, Math.min(cutoff, out.get(dir) ?? Infinity));
  }
  return out;
}

/** A directory the walk will read. `cutoff` is -Infinity when every file below is a candidate. */
export interface DirTask {
  readonly abs: string;
  /** Relative to the source root, `/`-separated; empty for the root. */
  readonly rel: string;
  readonly cutoff: number;
  readonly all: boolean;
  /** False: unchanged under write-once pruning, only subdirectories are wanted. */
  readonly files: boolean;
  readonly subdirs: boolean;
  readonly subdirLimit: number;
  readonly small: boolean;
  /** Identities (`dev:ino`) from the root down, when symlinks are followed (loop guard). */
  readonly ancestors: readonly string[];
}

/** Directories at most this large (bytes of the directory file) are listed in one call. */
const SMALL_DIR_BYTES = 256 * 1024;

/** The files directly in the source root (its folders are partitions of their own). */
export function rootFilesTask(source: string, cutoff: number, memory: PartitionMemory): DirTask {
  const effective = Math.min(cutoff, memory.remembered.get('.') ?? Infinity);
  return {
    abs: source,
    rel: '',
    cutoff: effective,
    all: effective === -Infinity,
    files: true,
    subdirs: false,
    subdirLimit: -1,
    small: false,
    ancestors: [],
  };
}

/** The root as the parent of a top-level folder, walked with the partition's cutoff. */
export function rootParent(source: string, cutoff: number, rootId: string): DirTask {
  return {
    abs: source,
    rel: '',
    cutoff,
    all: cutoff === -Infinity,
    files: false,
    subdirs: true,
    subdirLimit: -1,
    small: false,
    ancestors: rootId ? [rootId] : [],
  };
}

/** Decides how (and whether) a subdirectory of `parent` is read; see the module comment. */
export function planDirectory(
  parent: DirTask,
  info: DirInfo,
  env: WalkEnv,
  memory: PartitionMemory,
): DirTask | undefined {
  const { rules, counts } = env;
  const rel = parent.rel ? `${parent.rel}/${info.name}` : info.name;
  if (env.paths.prunesDir(rel)) {
    counts.excludedDirs++;
    return undefined;
  }
  let cutoff = parent.cutoff;
  const remembered = memory.remembered.get(rel);
  if (remembered !== undefined) {
    counts.rewalkedDirs++;
    cutoff = Math.min(cutoff, remembered);
  }
  let all = parent.all || cutoff === -Infinity;
  if (!all && rules.ctime && movedIn(info, cutoff, rules.until)) {
    counts.movedDirs++;
    all = true;
  }
  if (rules.follow && info.id && parent.ancestors.includes(info.id)) {
    counts.symlinkLoops++;
    return undefined;
  }
  const unchanged = !all && rules.writeOnce && info.mtimeMs < cutoff && info.ctimeMs < cutoff;
  // Links to folders do not count in a link count, so the count only tells when none are followed.
  const subdirCount = !rules.follow && info.nlink >= 2 ? info.nlink - 2 : -1;
  if (unchanged) {
    counts.prunedDirs++;
    if (subdirCount === 0) return undefined;
  }
  return {
    abs: `${parent.abs}${path.sep}${info.name}`,
    rel,
    cutoff: all ? -Infinity : cutoff,
    all,
    files: !unchanged,
    subdirs: true,
    subdirLimit: unchanged ? subdirCount : -1,
    small: info.size <= SMALL_DIR_BYTES,
    ancestors: rules.follow && info.id ? [...parent.ancestors, info.id] : parent.ancestors,
  };
}

/**
 * A directory renamed or moved in since the cutoff: its ctime counts, and is later than its
 * mtime (creating or removing an entry sets both to the same instant, a rename or `utimes`
 * only the ctime). A followed symlink made since the cutoff is a new path to everything below.
 */
function movedIn(info: DirInfo, cutoff: number, until: number): boolean {
  if (info.linkCtimeMs >= cutoff && info.linkCtimeMs <= until) return true;
  return info.ctimeMs >= cutoff && info.ctimeMs <= until && info.ctimeMs > info.mtimeMs;
}

/**
 * Yields the candidates below `first` (the directory itself included). Returns true when the
 * walk went to the end, false when its signal stopped it.
 */
export async function* walkDirectories(
  first: DirTask,
  env: WalkEnv,
  memory: PartitionMemory,
): AsyncGenerator<FileCandidate, boolean> {
  const { session, signal } = env;
  const stack: DirTask[] = [first];
  const open = new Map<number, DirTask>();
  const watched = watchedForCompletion(memory);
  const failed = new Set<number>();
  const undecodable: DirTask[] = [];
  try {
    while (stack.length > 0 || open.size > 0) {
      if (signal.aborted) return false;
      while (open.size < session.capacity && stack.length > 0) {
        const task = stack.pop()!;
        env.counts.dirsWalked++;
        open.set(session.start(scanTask(task, env)), task);
      }
      const { id, chunk } = await session.next();
      const task = open.get(id)!;
      if (chunk.done) open.delete(id);
      else session.more(id);
      absorb(task, chunk, env, memory, stack);
      if (chunk.counts.undecodable > 0 && !undecodable.includes(task)) undecodable.push(task);
      if (chunk.error !== undefined) failed.add(id);
      if (chunk.done && !failed.delete(id) && watched.has(task.rel || '.'))
        memory.complete.add(task.rel || '.');
      for (let i = 0; i < chunk.names.length; i++) {
        const rel = task.rel ? `${task.rel}/${chunk.names[i]}` : chunk.names[i]!;
        if (env.paths.includesFile(rel))
          yield { path: rel, size: chunk.sizes[i]!, mtimeMs: chunk.mtimes[i]! };
      }
    }
    // Names that are not valid UTF-8 cannot be opened by the scan's decoded names: read those
    // entries again as bytes. They are taken whatever their times (never seen before, they may
    // predate the cutoff); the remote check finds them present on later runs.
    for (const task of undecodable) {
      if (signal.aborted) return false;
      const source = task.rel ? task.abs.slice(0, task.abs.length - task.rel.length - 1) : task.abs;
      for await (const file of walkUndecodable(task.abs, {
        source,
        followSymlinks: env.rules.follow,
        signal,
      })) {
        if (file.kind === 'unreadable' || env.paths.includesFile(file.path)) yield file;
      }
    }
    return !signal.aborted;
  } finally {
    if (open.size > 0) session.cancel(open.keys());
  }
}

/**
 * Remembered directories and their parents: whether they are read completely decides what is
 * forgotten.
 */
function watchedForCompletion(memory: PartitionMemory): Set<string> {
  const watched = new Set<string>();
  for (const dir of memory.remembered.keys()) {
    watched.add(dir);
    if (dir.includes('/')) watched.add(dir.slice(0, dir.lastIndexOf('/')));
  }
  return watched;
}

/** Counts a chunk, remembers an unreadable directory, and queues the subdirectories to read. */
function absorb(
  task: DirTask,
  chunk: ScanChunk,
  env: WalkEnv,
  memory: PartitionMemory,
  stack: DirTask[],
): void {
  const { counts } = env;
  counts.filesStated += chunk.counts.stated;
  counts.specialFiles += chunk.counts.special;
  counts.skippedSymlinks += chunk.counts.symlinks;
  counts.outsideLinks += chunk.counts.outside;
  counts.undecodableNames += chunk.counts.undecodable;
  if (chunk.error !== undefined) {
    const key = task.rel || '.';
    if (!memory.unreadable.has(key)) counts.unreadableDirs++;
    memory.unreadable.set(key, Math.min(task.cutoff, memory.unreadable.get(key) ?? Infinity));
  }
  for (const info of chunk.dirs) {
    const child = planDirectory(task, info, env, memory);
    if (child) stack.push(child);
  }
}

function scanTask(task: DirTask, env: WalkEnv): ScanTask {
  const { rules } = env;
  return {
    dir: task.abs,
    files: task.files,
    subdirs: task.subdirs,
    subdirLimit: task.subdirLimit,
    all: task.all,
    cutoff: task.cutoff,
    until: rules.until,
    ctime: rules.ctime,
    statDirs: rules.ctime || rules.writeOnce || rules.follow,
    follow: rules.follow,
    rootReal: env.rootReal,
    small: task.small,
  };
}
