/**
 * Writing restored files safely inside the restore folder:
 *
 * - Parent folders are created one segment at a time with `lstat` first: a symlink (or a file)
 *   already in the way is refused, never followed, so nothing is written outside `--to` even if
 *   it holds a link to `/etc`. Folders checked once are remembered for the run.
 * - Each object is written to a temp name in its final folder (`.recsync-<hash>.part`, opened
 *   with `O_NOFOLLOW`), hashed while written, given its mtime, then moved into place: with
 *   `link` + `unlink` when existing files must not be overwritten (atomic: a file that appeared
 *   meanwhile is never replaced), with `rename` under `--overwrite` (which replaces a symlink at
 *   the final name itself, never its target). A crash leaves at most a `.part` file, which the
 *   next run writes over.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  open,
  rename,
  rm,
  unlink,
  utimes,
  type FileHandle,
} from 'node:fs/promises';
import { joinBytes, segmentsOf } from './keys.js';

export class PathRefused extends Error {}

export class FolderMaker {
  private readonly made = new Set<string>();
  constructor(private readonly root: string) {}

  /**
   * Creates the parent folders of `relative` under the root; throws {@link PathRefused} when one is
   * a symlink or a file.
   */
  async parents(relative: Buffer): Promise<void> {
    const segments = segmentsOf(relative).slice(0, -1);
    let current = Buffer.alloc(0);
    for (const segment of segments) {
      current = current.length
        ? Buffer.concat([current, Buffer.from('/'), segment])
        : Buffer.from(segment);
      const id = current.toString('base64');
      if (this.made.has(id)) continue;
      const absolute = joinBytes(this.root, current);
      const stats = await lstat(absolute).catch((e: NodeJS.ErrnoException) =>
        e.code === 'ENOENT' ? undefined : Promise.reject(e),
      );
      if (!stats) {
        await mkdir(absolute).catch((e: NodeJS.ErrnoException) =>
          e.code === 'EEXIST' ? undefined : Promise.reject(e),
        );
        const again = await lstat(absolute);
        if (!again.isDirectory()) throw new PathRefused(`${current.toString()} is not a folder`);
      } else if (stats.isSymbolicLink()) {
        throw new PathRefused(
          `${current.toString()} is a symlink inside the restore folder (never followed)`,
        );
      } else if (!stats.isDirectory()) {
        throw new PathRefused(
          `${current.toString()} is a file, but the key needs it to be a folder ` +
            '(both "a" and "a/b" exist)',
        );
      }
      this.made.add(id);
    }
  }
}

/** The temp name next to `finalPath`: fixed per name, so a rerun writes over a crash's leftover. */
export function tempPathOf(finalPath: Buffer): Buffer {
  const slash = finalPath.lastIndexOf(0x2f);
  const dir = finalPath.subarray(0, slash + 1);
  const name = finalPath.subarray(slash + 1);
  const hash = createHash('sha1').update(name).digest('hex').slice(0, 16);
  return Buffer.concat([dir, Buffer.from(`.recsync-${hash}.part`)]);
}

export async function openTemp(temp: Buffer): Promise<FileHandle> {
  return open(
    temp,
    constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o644,
  );
}

/** What is at the final path now. */
export async function existing(finalPath: Buffer): Promise<'none' | 'file' | 'folder' | 'other'> {
  try {
    const stats = await lstat(finalPath);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'folder' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw error;
  }
}

/**
 * Sets the mtime (and atime) to `mtimeSeconds`. Node's `utimes` takes a double of seconds:
 * about 0.24 µs of resolution for today's dates, so nanosecond mtimes come back to the
 * microsecond, not the nanosecond.
 */
export async function setMtime(file: Buffer, mtimeSeconds: number): Promise<void> {
  await utimes(file, mtimeSeconds, mtimeSeconds);
}

/**
 * Moves the temp file into place. Resolves false (and removes the temp file) when a file is there
 * and may not be overwritten.
 */
export async function moveIntoPlace(
  temp: Buffer,
  finalPath: Buffer,
  overwrite: boolean,
): Promise<boolean> {
  if (overwrite) {
    await rename(temp, finalPath);
    return true;
  }
  try {
    await link(temp, finalPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      // A file system without hard links: check, then rename (not atomic against a writer racing
      // us).
      if ((await existing(finalPath)) !== 'none') {
        await rm(temp, { force: true });
        return false;
      }
      await rename(temp, finalPath);
      return true;
    }
    await rm(temp, { force: true });
    if (code === 'EEXIST') return false;
    throw error;
  }
  await unlink(temp);
  return true;
}
