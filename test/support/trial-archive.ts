/**
 * Generated archives for trials: date folders of many small files (some in subfolders, one
 * empty) plus a few files above the multipart threshold, with seeded content and old mtimes.
 * The manifest keeps each file's size and SHA-256, so a trial can prove what is in the bucket
 * is byte-exact without keeping the bytes.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRandom } from './random.js';

export interface ArchiveShape {
  /** Day folders, ending the day before `today` (UTC). */
  readonly days: number;
  /** Small files per day (1 byte to `smallMax`; one of them empty). */
  readonly smallPerDay: number;
  readonly smallMax: number;
  /** Files of `multipartMin`..`multipartMax` bytes, spread over the days. */
  readonly multipart: number;
  readonly multipartMin: number;
  readonly multipartMax: number;
}

export interface ArchiveFile {
  /** Relative, `/`-separated; also the object key. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface TrialArchive {
  readonly root: string;
  readonly files: readonly ArchiveFile[];
  readonly days: readonly string[];
  readonly bytes: number;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;

/** Small enough for the test suite: 4 days × 15 files, three 5–7 MiB files. */
export const SMALL_ARCHIVE: ArchiveShape = {
  days: 4,
  smallPerDay: 15,
  smallMax: 40_000,
  multipart: 3,
  multipartMin: 5 * MiB + 1,
  multipartMax: 7 * MiB,
};
/** For on-demand runs: more partitions, more files, more multipart uploads. */
export const LARGE_ARCHIVE: ArchiveShape = {
  days: 6,
  smallPerDay: 40,
  smallMax: 200_000,
  multipart: 6,
  multipartMin: 5 * MiB + 1,
  multipartMax: 16 * MiB,
};

/** `count` UTC day folder names ending `endBefore` days before today, oldest first. */
export function pastDays(count: number, endBefore = 2): string[] {
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: count }, (_, i) =>
    new Date(today - (count - 1 - i + endBefore) * 86_400_000).toISOString().slice(0, 10),
  );
}

export async function createTrialArchive(shape: ArchiveShape, seed: number): Promise<TrialArchive> {
  const random = createRandom(seed);
  const root = await mkdtemp(path.join(os.tmpdir(), 'recsync-trial-src-'));
  const days = pastDays(shape.days);
  const files: ArchiveFile[] = [];
  const add = async (relative: string, size: number, day: string) => {
    const bytes = random.fill(Buffer.allocUnsafe(size));
    const file = path.join(root, ...relative.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes);
    const mtime = new Date(
      `${day}T${String(random.int(0, 23)).padStart(2, '0')}:${String(random.int(10, 59))}:00Z`,
    );
    await utimes(file, mtime, mtime);
    files.push({ path: relative, size, sha256: createHash('sha256').update(bytes).digest('hex') });
  };
  for (const [d, day] of days.entries()) {
    for (let i = 0; i < shape.smallPerDay; i++) {
      const folder = i % 3 === 2 ? `${day}/line-${i % 2}` : day;
      const size = d === 0 && i === 0 ? 0 : random.int(1, shape.smallMax);
      await add(`${folder}/call-${String(i).padStart(4, '0')}.wav`, size, day);
    }
  }
  for (let i = 0; i < shape.multipart; i++) {
    const day = days[i % days.length]!;
    await add(
      `${day}/long-${String(i).padStart(2, '0')}.wav`,
      random.int(shape.multipartMin, shape.multipartMax),
      day,
    );
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return {
    root,
    files,
    days,
    bytes: files.reduce((n, f) => n + f.size, 0),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
