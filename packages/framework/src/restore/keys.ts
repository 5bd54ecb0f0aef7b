/**
 * Which local path an object is restored to, and which keys are refused.
 *
 * The path is the key relative to the job's prefix (a custom `key` hook's keys restore under
 * their key, relative to the prefix). A key whose name was encoded at backup (a file name that
 * was not valid UTF-8: `U+FFFD` and a hash in the key) carries its raw path in metadata
 * (`x-amz-meta-recsync-raw-path`); that raw path is used, after the same checks. Paths are kept
 * as bytes so such names are written exactly as they were.
 *
 * Refused, never written (and never outside `--to`): `..` or `.` segments, a leading `/`, empty
 * segments (`a//b`), folder markers (keys ending in `/`), NUL bytes, segments over 255 bytes.
 * A key that is both a file and a folder (`a` and `a/b`) is found when the second is written
 * (the folder or file is in the way) and reported; names that differ only in case are refused on
 * a case-insensitive target (see {@link CaseGuard}).
 */
import { randomBytes } from 'node:crypto';
import { lstat, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RAW_PATH_METADATA, rawPathBytes } from '../fs/names.js';

const SLASH = 0x2f;

/**
 * Why `relative` (bytes, `/`-separated) cannot be a path under the restore folder, or undefined.
 */
export function restorePathProblem(relative: Buffer): string | undefined {
  if (relative.length === 0) return 'the key is the prefix itself (no name)';
  if (relative.includes(0)) return 'contains a NUL byte';
  if (relative[0] === SLASH) return 'starts with "/" (an absolute path)';
  if (relative[relative.length - 1] === SLASH) return 'ends with "/" (a folder marker, not a file)';
  for (const segment of split(relative)) {
    if (segment.length === 0) return 'has an empty segment ("//")';
    const text = segment.toString('latin1');
    if (text === '..' || text === '.')
      return `has a "${text}" segment (would leave or alias the restore folder)`;
    if (segment.length > 255)
      return `has a segment of ${segment.length} bytes (file names are at most 255)`;
  }
  return undefined;
}

function split(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === SLASH) {
      out.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** The segments of a relative byte path. */
export function segmentsOf(relative: Buffer): Buffer[] {
  return split(relative);
}

/** True when the key's name was encoded at backup, so its metadata holds the raw path. */
export function mayHaveRawPath(relativeKey: string): boolean {
  return relativeKey.includes('\uFFFD');
}

/** The raw path from an object's metadata, when there is one. */
export function rawPathOf(metadata: Record<string, string>): Buffer | undefined {
  const value = metadata[RAW_PATH_METADATA];
  return value ? rawPathBytes(value) : undefined;
}

/** `dir/relative` as bytes. */
export function joinBytes(dir: string, relative: Buffer): Buffer {
  return Buffer.concat([Buffer.from(dir.endsWith(path.sep) ? dir : dir + path.sep), relative]);
}

/**
 * Names that differ only in case would overwrite each other on a case-insensitive file system
 * (macOS, Windows by default). When the target is one, the lower-cased paths restored in this
 * run are remembered (one string per restored file) and a second spelling is refused.
 */
export class CaseGuard {
  private readonly seen = new Map<string, string>();
  private constructor(readonly insensitive: boolean) {}

  static async probe(dir: string): Promise<CaseGuard> {
    // Unique across processes: shards restoring into one shared folder may share a pid (1, in
    // pods).
    const name = `.recsync-case-${process.pid}-${randomBytes(6).toString('hex')}`;
    const lower = path.join(dir, name);
    await writeFile(lower, '', { flag: 'wx' });
    try {
      const upper = await lstat(path.join(dir, name.toUpperCase())).then(
        () => true,
        () => false,
      );
      return new CaseGuard(upper);
    } finally {
      await rm(lower, { force: true });
    }
  }

  /** The other spelling already restored, if `relative` clashes with it. */
  clash(relative: Buffer): string | undefined {
    if (!this.insensitive) return undefined;
    const text = relative.toString('utf8');
    const folded = text.toLowerCase();
    const other = this.seen.get(folded);
    if (other !== undefined && other !== text) return other;
    this.seen.set(folded, text);
    return undefined;
  }
}
