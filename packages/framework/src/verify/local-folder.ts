/**
 * One local folder as verify sees it: its regular files (with the bigint stat the checksum
 * cache is keyed by) and its sub-folders. Read in batches with `opendir`; only one folder is
 * held at a time. Symlinks are skipped unless the job follows them, and then only when they
 * resolve inside the source root (as sync does); FIFOs, sockets and devices are skipped.
 *
 * Names are read as bytes: a name that is not valid UTF-8 gets the key-safe form sync gave it
 * (fs/names.ts), and its raw relative path is kept (`rawPath`, base64) to open it and to upload
 * it again on --repair.
 */
import { opendir, lstat, realpath, stat } from 'node:fs/promises';
import { isInside } from '../fs/containment.js';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import { mapUnordered } from '../concurrency.js';
import { decodeName } from '../fs/names.js';
import type { LocalFile } from './check-file.js';

/** A folder: its key-safe relative path, and the raw bytes of that path when they differ. */
export interface Place {
  readonly rel: string;
  readonly raw?: Buffer;
}

export interface LocalFolder {
  readonly files: LocalFile[];
  readonly folders: Place[];
  /** Symlinks and special files not checked. */
  readonly skipped: number;
}

const SEP = Buffer.from(path.sep);

function absoluteOf(source: string, place: Place): string | Buffer {
  if (place.raw) return Buffer.concat([Buffer.from(source), SEP, place.raw]);
  return place.rel ? path.join(source, ...place.rel.split('/')) : source;
}

export async function readLocalFolder(
  source: string,
  place: Place,
  options: { followSymlinks: boolean },
): Promise<LocalFolder> {
  const dir = absoluteOf(source, place);
  const files: LocalFile[] = [];
  const folders: Place[] = [];
  let skipped = 0;
  let handle;
  try {
    handle = await opendir(dir as string, {
      bufferSize: 256,
      encoding: 'buffer' as BufferEncoding,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files, folders, skipped };
    throw error;
  }
  const entries = (async function* () {
    for await (const entry of handle) yield entry.name as unknown as Buffer;
  })();
  const classify = async (rawName: Buffer) => {
    const { name, changed } = decodeName(rawName);
    const rel = place.rel ? `${place.rel}/${name}` : name;
    const rawBase = place.raw ?? (changed ? Buffer.from(place.rel) : undefined);
    const raw = rawBase
      ? rawBase.length
        ? Buffer.concat([rawBase, Buffer.from('/'), rawName])
        : rawName
      : undefined;
    const child: Place = raw ? { rel, raw } : { rel };
    const absolute = absoluteOf(source, child);
    let stats: BigIntStats = await lstat(absolute, { bigint: true });
    if (stats.isSymbolicLink()) {
      if (!options.followSymlinks || !(await inside(absolute, source)))
        return { name, child, absolute, stats: undefined };
      stats = await stat(absolute, { bigint: true });
    }
    return { name, child, absolute, stats };
  };
  for await (const { name, child, absolute, stats } of mapUnordered(entries, 32, classify)) {
    if (stats?.isDirectory()) folders.push(child);
    else if (stats?.isFile()) {
      files.push({
        path: child.rel,
        ...(child.raw ? { rawPath: child.raw.toString('base64') } : {}),
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
  folders.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { files, folders, skipped };
}

async function inside(absolute: string | Buffer, root: string): Promise<boolean> {
  try {
    const real = await realpath(absolute as string);
    const realRoot = await realpath(root);
    return isInside(realRoot, real);
  } catch {
    return false;
  }
}
