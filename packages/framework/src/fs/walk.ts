/**
 * Streaming directory walk for strategies: yields the regular files below a folder as
 * {@link FileCandidate}s, relative to the source root.
 *
 * Guarantees: directories are read in batches (`opendir`), never as whole arrays; `lstat` runs
 * with bounded parallelism; symlinks are skipped unless `followSymlinks` (then loops are cut by
 * device+inode); FIFOs, sockets and devices are skipped and counted. A folder that cannot be
 * read does not stop the walk: the rest is yielded, then {@link IncompleteWalkError} is thrown so
 * the caller knows the folder was not fully seen (a partition must not be marked done).
 */
import { opendir, lstat, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { mapUnordered } from '../concurrency.js';
import { RecsyncError } from '../errors.js';
import type { FileCandidate } from '../strategy.js';

export interface WalkOptions {
  /** Absolute source root; candidate paths are relative to it. */
  readonly source: string;
  readonly followSymlinks?: boolean;
  /** lstat calls in flight (default 32). */
  readonly statConcurrency?: number;
  readonly signal?: AbortSignal;
  /** Receives counts of what was skipped, when the walk ends. */
  onSkipped?(counts: WalkSkipCounts): void;
}

export interface WalkSkipCounts {
  /** Symlinks not followed (following is off, or the link dangles). */
  symlinks: number;
  /** Followed symlinks whose target is outside the source root: refused. */
  outside: number;
  /** FIFOs, sockets, devices. */
  special: number;
}

/** Thrown at the end of a walk that could not read some folders. */
export class IncompleteWalkError extends RecsyncError {
  constructor(readonly unreadable: readonly { dir: string; error: string }[]) {
    super('E_WALK_INCOMPLETE', {
      message:
        `${unreadable.length} folder(s) could not be read, so their files were not seen: ` +
        unreadable.slice(0, 3).map((u) => `${u.dir} (${u.error})`).join(', ') +
        (unreadable.length > 3 ? ', …' : ''),
      hint: 'Fix the permissions; the partition stays open and is walked again by the next run.',
    });
  }
}

interface Entry {
  readonly abs: string;
  /** Reached through a symlink that is being followed. */
  readonly follow: boolean;
}

/** Walks `dir` (inside `options.source`), yielding every regular file below it. A missing `dir` yields nothing. */
export async function* walkFiles(dir: string, options: WalkOptions): AsyncGenerator<FileCandidate> {
  const skipped: WalkSkipCounts = { symlinks: 0, outside: 0, special: 0 };
  const unreadable: { dir: string; error: string }[] = [];
  const visited = new Set<string>();
  const pending: string[] = [dir];
  const concurrency = options.statConcurrency ?? 32;

  const rootReal = options.followSymlinks ? await realpath(options.source) : options.source;
  if (!(await startFolderAllowed(dir, options, rootReal))) return;

  // Directories are pushed here, synchronously with reading, so the walk never ends early.
  const entries = async function* (): AsyncGenerator<Entry> {
    while (pending.length > 0) {
      if (options.signal?.aborted) return;
      const current = pending.pop()!;
      let handle;
      try {
        if (options.followSymlinks) {
          // Loop guard: with links followed, a folder can be reached twice.
          const s = await stat(current);
          const id = `${s.dev}:${s.ino}`;
          if (visited.has(id)) continue;
          visited.add(id);
        }
        handle = await opendir(current, { bufferSize: 256 });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && current === dir) return;
        if (code !== 'ENOENT') unreadable.push({ dir: current, error: code ?? String(error) });
        continue;
      }
      try {
        for await (const dirent of handle) {
          const abs = path.join(current, dirent.name);
          if (dirent.isDirectory()) pending.push(abs);
          else if (dirent.isSymbolicLink()) {
            if (!options.followSymlinks) skipped.symlinks++;
            const followed = options.followSymlinks ? await followLink(abs) : undefined;
            if (followed === 'dir') pending.push(abs);
            else if (followed === 'file') yield { abs, follow: true };
          } else if (dirent.isFile()) yield { abs, follow: false };
          else skipped.special++;
        }
      } catch (error) {
        unreadable.push({ dir: current, error: (error as NodeJS.ErrnoException).code ?? String(error) });
      }
    }
  };

  /** Resolves a symlink for following: only targets inside the root are taken. */
  const followLink = async (abs: string): Promise<'dir' | 'file' | undefined> => {
    try {
      const target = await realpath(abs);
      if (target !== rootReal && !target.startsWith(rootReal + path.sep)) {
        skipped.outside++;
        return undefined;
      }
      const s = await stat(target);
      if (s.isDirectory()) return 'dir';
      if (s.isFile()) return 'file';
      skipped.special++;
      return undefined;
    } catch {
      skipped.symlinks++; // dangling
      return undefined;
    }
  };

  const resolveEntry = async ({ abs, follow }: Entry): Promise<FileCandidate | undefined> => {
    let stats: Stats;
    try {
      stats = follow ? await stat(abs) : await lstat(abs);
    } catch (error) {
      // Vanished between readdir and stat: not a candidate any more.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      unreadable.push({ dir: abs, error: (error as NodeJS.ErrnoException).code ?? String(error) });
      return undefined;
    }
    if (!stats.isFile()) {
      skipped.special++;
      return undefined;
    }
    return { path: toPosix(path.relative(options.source, abs)), size: stats.size, mtimeMs: stats.mtimeMs };
  };

  for await (const candidate of mapUnordered(entries(), concurrency, resolveEntry)) {
    if (candidate) yield candidate;
  }
  options.onSkipped?.(skipped);
  if (unreadable.length > 0) throw new IncompleteWalkError(unreadable);
}

/** Converts a platform path to the `/`-separated form used in keys. */
export function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

/** The start folder itself may be a symlink: take it only when links are followed and it stays inside the root. */
async function startFolderAllowed(dir: string, options: WalkOptions, rootReal: string): Promise<boolean> {
  try {
    if (!(await lstat(dir)).isSymbolicLink()) return true;
    if (!options.followSymlinks) return false;
    const target = await realpath(dir);
    return target === rootReal || target.startsWith(rootReal + path.sep);
  } catch {
    return true; // missing: the walk yields nothing
  }
}
