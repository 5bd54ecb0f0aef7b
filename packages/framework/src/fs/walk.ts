/**
 * Streaming directory walk for strategies: yields the regular files below a folder as
 * {@link FileCandidate}s, relative to the source root.
 *
 * Guarantees: directories are read in batches (`opendir`), never as whole arrays; `lstat` runs
 * with bounded parallelism; symlinks are skipped unless `followSymlinks` (then loops are cut by
 * device+inode); FIFOs, sockets and devices are skipped and counted. Names are read as bytes:
 * a name that is not valid UTF-8 is yielded under its key-safe form with its raw bytes (see
 * ./names.ts), never skipped. A folder that cannot be read does not stop the walk and does not
 * hold back the files beside it: it is yielded as an `unreadable` candidate (the engine keeps
 * it in the pending set and walks it again on every run until it can be read).
 */
import { opendir, lstat, realpath, stat } from 'node:fs/promises';
import type { Dir, Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import { mapUnordered } from '../concurrency.js';
import { WALK_STAT_CONCURRENCY } from '../limits.js';
import { RecsyncError } from '../errors.js';
import type { FileCandidate } from '../strategy.js';
import { followLink } from './containment.js';
import { decodeName } from './names.js';
import type { FolderSink } from '../engine/folders.js';
export interface WalkOptions {
  /** Absolute source root; candidate paths are relative to it. */
  readonly source: string;
  readonly followSymlinks?: boolean;
  /** lstat calls in flight (default `WALK_STAT_CONCURRENCY` in limits.ts). */
  readonly statConcurrency?: number;
  readonly signal?: AbortSignal;
  /** Receives counts of what was skipped, when the walk ends. */
  onSkipped?(counts: WalkSkipCounts): void;
  /**
   * Receives each folder's stamp (mtime and ctime taken before it is read, entries counted while
   * reading), relative to the start folder (`''` = itself); undefined for a folder that could
   * not be read or whose name is not valid UTF-8.
   */
  onFolder?: FolderSink;
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
        unreadable
          .slice(0, 3)
          .map((u) => `${u.dir} (${u.error})`)
          .join(', ') +
        (unreadable.length > 3 ? ', …' : ''),
      hint: 'Fix the permissions; the partition stays open and is walked again by the next run.',
    });
  }
}

/** A folder whose relative path is not valid UTF-8: its bytes, and its key-safe path. */
export interface RawFolder {
  readonly abs: Buffer;
  /** Key-safe relative path. */
  readonly path: string;
  /** Raw relative path, base64. */
  readonly rawPath: string;
}

/** A place in the walk: its path for fs calls, its key-safe relative path and raw bytes. */
interface Place {
  /** For fs calls: a string, or bytes when some segment is not valid UTF-8. */
  readonly abs: string | Buffer;
  /** Relative to the source root, `/`-separated, key-safe. */
  readonly rel: string;
  /** The raw relative path, when it differs from `rel`. */
  readonly raw?: Buffer;
}

interface Entry extends Place {
  /** Reached through a symlink that is being followed. */
  readonly follow: boolean;
}

/**
 * Walks `dir` (inside `options.source`), yielding every regular file below it, and an
 * `unreadable` candidate for each folder or file that could not be read. A missing `dir`
 * yields nothing.
 */
export async function* walkFiles(
  dir: string | RawFolder,
  options: WalkOptions,
): AsyncGenerator<FileCandidate> {
  const skipped: WalkSkipCounts = { symlinks: 0, outside: 0, special: 0 };
  const unreadable: FileCandidate[] = [];
  const visited = new Set<string>();
  const start: Place =
    typeof dir === 'string'
      ? { abs: dir, rel: toPosix(path.relative(options.source, dir)) }
      : { abs: dir.abs, rel: dir.path, raw: Buffer.from(dir.rawPath, 'base64') };
  const pending: Place[] = [start];
  const concurrency = options.statConcurrency ?? WALK_STAT_CONCURRENCY;

  const rootReal = options.followSymlinks ? await realpath(options.source) : options.source;
  const rootBytes = Buffer.from(rootReal);
  if (!(await startFolderAllowed(start.abs, options, rootBytes))) return;
  const cannotRead = (place: Place, error: unknown, folder: boolean): void => {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    unreadable.push(unreadableCandidate(place, code, folder));
  };

  // Directories are pushed here, synchronously with reading, so the walk never ends early.
  const entries = async function* (): AsyncGenerator<Entry> {
    while (pending.length > 0) {
      if (options.signal?.aborted) return;
      const current = pending.pop()!;
      const relToStart =
        current === start
          ? ''
          : start.rel === ''
            ? current.rel
            : current.rel.slice(start.rel.length + 1);
      let handle: Dir;
      let before: Stats | undefined;
      const stampedAt = Date.now();
      try {
        if (options.onFolder && !current.raw) before = await stat(current.abs);
        if (options.followSymlinks) {
          // Loop guard: with links followed, a folder can be reached twice.
          const s = await stat(current.abs);
          const id = `${s.dev}:${s.ino}`;
          if (visited.has(id)) continue;
          visited.add(id);
        }
        handle = await opendir(current.abs as string, {
          bufferSize: 256,
          encoding: 'buffer' as BufferEncoding,
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && current === start) return;
        if (code !== 'ENOENT') cannotRead(current, error, true);
        options.onFolder?.(relToStart, undefined);
        continue;
      }
      let entriesRead = 0;
      try {
        for await (const dirent of handle) {
          entriesRead++;
          const child = childOf(current, dirent.name as unknown as Buffer);
          if (dirent.isDirectory()) pending.push(child);
          else if (dirent.isSymbolicLink()) {
            if (!options.followSymlinks) skipped.symlinks++;
            const followed = options.followSymlinks ? await followEntry(child.abs) : undefined;
            if (followed === 'dir') pending.push(child);
            else if (followed === 'file') yield { ...child, follow: true };
          } else if (dirent.isFile()) yield { ...child, follow: false };
          else skipped.special++;
        }
        if (options.onFolder) {
          const stamp = before && {
            mtimeMs: before.mtimeMs,
            ctimeMs: before.ctimeMs,
            entries: entriesRead,
            at: stampedAt,
          };
          options.onFolder(relToStart, stamp);
        }
      } catch (error) {
        cannotRead(current, error, true);
        options.onFolder?.(relToStart, undefined);
      }
    }
  };

  /** Resolves a symlink for following: only targets inside the root are taken. */
  const followEntry = async (abs: string | Buffer): Promise<'dir' | 'file' | undefined> => {
    const target = await followLink(rootBytes, abs);
    if (!target) {
      skipped.symlinks++; // dangling
      return undefined;
    }
    if (!target.inside) {
      skipped.outside++;
      return undefined;
    }
    try {
      const s = await stat(target.real);
      if (s.isDirectory()) return 'dir';
      if (s.isFile()) return 'file';
      skipped.special++;
      return undefined;
    } catch {
      skipped.symlinks++; // vanished since it was resolved
      return undefined;
    }
  };

  const resolveEntry = async (entry: Entry): Promise<FileCandidate | undefined> => {
    let stats: Stats;
    try {
      stats = entry.follow ? await stat(entry.abs) : await lstat(entry.abs);
    } catch (error) {
      // Vanished between readdir and stat: not a candidate any more.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return unreadableCandidate(
        entry,
        (error as NodeJS.ErrnoException).code ?? String(error),
        false,
      );
    }
    if (!stats.isFile()) {
      skipped.special++;
      return undefined;
    }
    return {
      path: entry.rel,
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      ...(entry.raw ? { rawPath: entry.raw.toString('base64') } : {}),
    };
  };

  for await (const candidate of mapUnordered(entries(), concurrency, resolveEntry)) {
    if (candidate) yield candidate;
    while (unreadable.length > 0) yield unreadable.shift()!;
  }
  while (unreadable.length > 0) yield unreadable.shift()!;
  options.onSkipped?.(skipped);
}

function unreadableCandidate(place: Place, error: string, folder: boolean): FileCandidate {
  return {
    kind: 'unreadable',
    path: place.rel,
    error,
    folder,
    ...(place.raw ? { rawPath: place.raw.toString('base64') } : {}),
  };
}

/** The place of a directory entry, from its raw name. */
function childOf(parent: Place, rawName: Buffer): Place {
  const { name, changed } = decodeName(rawName);
  const rel = parent.rel === '' ? name : `${parent.rel}/${name}`;
  const parentRaw = parent.raw ?? (changed ? Buffer.from(parent.rel) : undefined);
  if (!parentRaw) return { abs: path.join(parent.abs as string, name), rel };
  const raw =
    parentRaw.length === 0 ? rawName : Buffer.concat([parentRaw, Buffer.from('/'), rawName]);
  const parentAbs = typeof parent.abs === 'string' ? Buffer.from(parent.abs) : parent.abs;
  return { abs: Buffer.concat([parentAbs, Buffer.from(path.sep), rawName]), rel, raw };
}

/** Converts a platform path to the `/`-separated form used in keys. */
export function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

/**
 * The start folder itself may be a symlink: take it only when links are followed and it stays
 * inside the root.
 */
async function startFolderAllowed(
  dir: string | Buffer,
  options: WalkOptions,
  rootReal: Buffer,
): Promise<boolean> {
  try {
    if (!(await lstat(dir)).isSymbolicLink()) return true;
    if (!options.followSymlinks) return false;
    return (await followLink(rootReal, dir))?.inside ?? true;
  } catch {
    return true; // missing: the walk yields nothing
  }
}

/**
 * The entries of one folder whose names are not valid UTF-8, as candidates: files directly in
 * it, and everything below its subfolders with such names. For walkers that read names as
 * strings (where such a name cannot be opened) and hand these folders over instead of losing
 * them. `dir` is the folder's absolute path; its own name must be valid UTF-8.
 */
export async function* walkUndecodable(
  dir: string,
  options: WalkOptions,
): AsyncGenerator<FileCandidate> {
  const parent: Place = { abs: dir, rel: toPosix(path.relative(options.source, dir)) };
  let handle: Dir;
  try {
    handle = await opendir(dir, { bufferSize: 256, encoding: 'buffer' as BufferEncoding });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      yield unreadableCandidate(
        parent,
        (error as NodeJS.ErrnoException).code ?? String(error),
        true,
      );
    return;
  }
  for await (const dirent of handle) {
    const raw = dirent.name as unknown as Buffer;
    if (isUtf8(raw)) continue;
    const child = childOf(parent, raw);
    if (dirent.isDirectory()) {
      yield* walkFiles(
        { abs: child.abs as Buffer, path: child.rel, rawPath: child.raw!.toString('base64') },
        options,
      );
    } else if (dirent.isFile()) {
      try {
        const stats = await lstat(child.abs);
        yield {
          path: child.rel,
          size: stats.size,
          mtimeMs: stats.mtimeMs,
          rawPath: child.raw!.toString('base64'),
        };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') yield unreadableCandidate(child, code ?? String(error), false);
      }
    }
  }
}
