/**
 * Containment rules for candidate paths and object keys (correctness rule 6): a candidate must
 * stay inside the source root and a key never has `..` segments.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** Why a strategy-reported relative path is refused, or undefined when it is fine. */
export function pathProblem(relative: string): string | undefined {
  if (relative.length === 0) return 'empty path';
  if (relative.includes('\0')) return 'path contains a NUL byte';
  if (relative.startsWith('/') || path.isAbsolute(relative)) return 'absolute path (must be relative to the source root)';
  if (relative.includes('\\')) return 'path contains a backslash';
  const segments = relative.split('/');
  if (segments.some((s) => s === '..')) return 'path leaves the source root ("..")';
  if (segments.some((s) => s === '' || s === '.')) return 'path has empty or "." segments';
  return undefined;
}

/** Why an object key is refused, or undefined when it is fine. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'empty key';
  if (Buffer.byteLength(key) > 1024) return 'key longer than 1024 bytes';
  if (key.startsWith('/')) return 'key starts with "/"';
  if (key.split('/').some((s) => s === '..' || s === '.')) return 'key has "." or ".." segments';
  return undefined;
}

export function absoluteOf(source: string, relative: string): string {
  return path.join(source, ...relative.split('/'));
}

/**
 * Checks, before a file is opened, that the folder holding it resolves inside the source root:
 * `O_NOFOLLOW` only guards the last path component, and a pending path saved days ago may now
 * run through a symlink. Results are cached per folder for the run.
 */
export class RootGuard {
  private root?: Promise<string>;
  private readonly folders = new Map<string, boolean>();

  constructor(private readonly source: string) {}

  async parentInside(absolute: string): Promise<boolean> {
    const dir = path.dirname(absolute);
    const known = this.folders.get(dir);
    if (known !== undefined) return known;
    const root = await (this.root ??= realpath(this.source).catch(() => this.source));
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      return true; // missing: opening the file fails with ENOENT, which is handled as vanished
    }
    const inside = real === root || real.startsWith(root + path.sep);
    if (this.folders.size >= 10_000) this.folders.clear();
    this.folders.set(dir, inside);
    return inside;
  }
}
