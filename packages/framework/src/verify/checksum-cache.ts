/**
 * Local checksums, computed once and kept per folder under the state dir
 * (`<stateDir>/checksums/<job>/<sha1 of the folder>.json`; a shard's under
 * `checksums/<job>.shard-I-of-N/`, since it sees only its own files), so a weekly `verify --all`
 * over
 * millions of files does not read the whole archive again. An entry is reused only while the
 * file's (size, mtime, ctime, inode) are unchanged — all in nanoseconds from a bigint stat — and
 * for the same algorithm; anything else re-reads the file. ctime catches a file rewritten with
 * its mtime put back (`touch -r`); the inode catches a file replaced by another one.
 *
 * One folder's cache is in memory at a time. It is rewritten atomically after the folder is
 * checked, holding only the files seen in it, so deleted files drop out. `--rehash` ignores what
 * is stored (and replaces it).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { checksumOfFile, type ChecksumName } from '../checksum.js';
import { writeFileAtomic } from '../state/atomic.js';

export interface LocalStat {
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
}

/** [size, mtimeNs, ctimeNs, ino, algorithm, value] */
type Entry = [number, string, string, string, ChecksumName, string];

export class FolderChecksums {
  private readonly next = new Map<string, Entry>();
  private changed = false;
  hits = 0;
  misses = 0;

  private constructor(
    private readonly file: string,
    private readonly stored: Map<string, Entry>,
  ) {}

  static async open(
    root: string,
    folder: string,
    options: { rehash: boolean },
  ): Promise<FolderChecksums> {
    const name = createHash('sha1').update(folder).digest('hex');
    const file = path.join(root, name.slice(0, 2), `${name}.json`);
    let stored = new Map<string, Entry>();
    if (!options.rehash) {
      try {
        const data = JSON.parse(await readFile(file, 'utf8')) as {
          folder?: string;
          files?: Record<string, Entry>;
        };
        if (data.folder === folder && data.files) stored = new Map(Object.entries(data.files));
      } catch {
        // no cache yet, or unreadable: computed again
      }
    }
    return new FolderChecksums(file, stored);
  }

  /** Keeps a file's entry (when still valid) for a file this run did not need to hash. */
  keep(name: string, stat: LocalStat): void {
    const hit = this.stored.get(name);
    if (
      hit &&
      hit[0] === stat.size &&
      hit[1] === String(stat.mtimeNs) &&
      hit[2] === String(stat.ctimeNs) &&
      hit[3] === String(stat.ino)
    )
      this.next.set(name, hit);
  }

  /** The checksum of `absolute` (named `name` in the folder), from the cache or by reading it. */
  async checksum(
    name: string,
    absolute: string | Buffer,
    stat: LocalStat,
    algorithm: ChecksumName,
    flags: number,
  ): Promise<string> {
    const hit = this.stored.get(name);
    if (
      hit &&
      hit[0] === stat.size &&
      hit[1] === String(stat.mtimeNs) &&
      hit[2] === String(stat.ctimeNs) &&
      hit[3] === String(stat.ino) &&
      hit[4] === algorithm
    ) {
      this.hits++;
      this.next.set(name, hit);
      return hit[5];
    }
    this.misses++;
    const handle = await open(absolute, flags);
    let value: string;
    try {
      value = await checksumOfFile(handle, stat.size, algorithm);
    } finally {
      await handle.close();
    }
    this.next.set(name, [
      stat.size,
      String(stat.mtimeNs),
      String(stat.ctimeNs),
      String(stat.ino),
      algorithm,
      value,
    ]);
    this.changed = true;
    return value;
  }

  /** Writes the folder's entries seen in this run (only when something changed or went away). */
  async save(folder: string): Promise<void> {
    const dropped = [...this.stored.keys()].some((k) => !this.next.has(k));
    if (!this.changed && !dropped) return;
    if (this.next.size === 0 && this.stored.size === 0) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(
      this.file,
      JSON.stringify({ folder, files: Object.fromEntries(this.next) }),
    );
  }
}

export function checksumCacheRoot(stateDir: string, job: string): string {
  return path.join(stateDir, 'checksums', job);
}
