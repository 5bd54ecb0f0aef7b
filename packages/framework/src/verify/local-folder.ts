/**
 * One local folder as verify sees it: its regular files (with the bigint stat the checksum
 * cache is keyed by) and its sub-folders. Read in batches with `opendir`; only one folder is
 * held at a time. Symlinks are skipped unless the job follows them, and then only when they
 * resolve inside the source root (as sync does); FIFOs, sockets and devices are skipped.
 */
import { opendir, lstat, realpath, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import { mapUnordered } from '../concurrency.js';
import type { LocalFile } from './check-file.js';

export interface LocalFolder {
  readonly files: LocalFile[];
  readonly folders: string[];
  /** Symlinks and special files not checked. */
  readonly skipped: number;
}

export async function readLocalFolder(source: string, rel: string, options: { followSymlinks: boolean; realSource?: string }): Promise<LocalFolder> {
  const dir = rel ? path.join(source, ...rel.split('/')) : source;
  const files: LocalFile[] = [];
  const folders: string[] = [];
  let skipped = 0;
  let handle;
  try {
    handle = await opendir(dir, { bufferSize: 256 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files, folders, skipped };
    throw error;
  }
  const entries = (async function* () {
    for await (const entry of handle) yield entry.name;
  })();
  const classify = async (name: string) => {
    const absolute = path.join(dir, name);
    let stats: BigIntStats = await lstat(absolute, { bigint: true });
    if (stats.isSymbolicLink()) {
      if (!options.followSymlinks || !(await inside(absolute, options.realSource ?? source))) return { name, absolute, stats: undefined };
      stats = await stat(absolute, { bigint: true });
    }
    return { name, absolute, stats };
  };
  for await (const { name, absolute, stats } of mapUnordered(entries, 32, classify)) {
    if (stats?.isDirectory()) folders.push(name);
    else if (stats?.isFile()) {
      files.push({
        path: rel ? `${rel}/${name}` : name,
        name,
        absolute,
        size: Number(stats.size),
        mtimeMs: Number(stats.mtimeNs / 1_000_000n) + Number(stats.mtimeNs % 1_000_000n) / 1e6,
        mtimeNs: stats.mtimeNs,
        ctimeNs: stats.ctimeNs,
        ino: stats.ino,
      });
    } else skipped++;
  }
  folders.sort();
  return { files, folders, skipped };
}

async function inside(absolute: string, root: string): Promise<boolean> {
  try {
    const real = await realpath(absolute);
    const realRoot = await realpath(root);
    return real === realRoot || real.startsWith(realRoot + path.sep);
  } catch {
    return false;
  }
}
