/**
 * Containment rules for candidate paths and object keys (correctness rule 6): a candidate must
 * stay inside the source root and a key never has `..` segments.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { rawPathBytes } from '../fs/names.js';

/**
 * Each cause of a refusal has its own code, so a report (and a script reading `--json`) can
 * tell a path that leaves the root from a malformed one or a symlink out:
 * - `E_FILE_OUTSIDE_ROOT`: the path leaves the source root by its name (`..`, absolute);
 * - `E_FILE_SYMLINK_OUT`: the path resolves outside the root through a symlink;
 * - `E_FILE_BAD_PATH`: the path is malformed (empty, NUL byte, empty or `.` segments).
 * (A name that cannot be an object key is not refused: it stays pending as `E_FILE_BAD_KEY`.)
 */
export type RefusalCode = 'E_FILE_OUTSIDE_ROOT' | 'E_FILE_SYMLINK_OUT' | 'E_FILE_BAD_PATH';

export interface Refusal {
  readonly code: RefusalCode;
  readonly reason: string;
}

/** Why a strategy-reported relative path is refused, or undefined when it is fine. */
export function pathRefusal(relative: string): Refusal | undefined {
  const bad = (reason: string): Refusal => ({ code: 'E_FILE_BAD_PATH', reason });
  if (relative.length === 0) return bad('empty path');
  if (relative.includes('\0')) return bad('path contains a NUL byte');
  if (relative.startsWith('/') || path.isAbsolute(relative))
    return {
      code: 'E_FILE_OUTSIDE_ROOT',
      reason: 'absolute path (must be relative to the source root)',
    };
  const segments = relative.split('/');
  if (segments.some((s) => s === '..'))
    return { code: 'E_FILE_OUTSIDE_ROOT', reason: 'path leaves the source root ("..")' };
  if (segments.some((s) => s === '' || s === '.')) return bad('path has empty or "." segments');
  return undefined;
}

/** {@link pathRefusal}'s reason alone. */
export function pathProblem(relative: string): string | undefined {
  return pathRefusal(relative)?.reason;
}

/** Why an object key is refused, or undefined when it is fine. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'empty key';
  if (Buffer.byteLength(key) > 1024) return 'key longer than 1024 bytes';
  if (key.startsWith('/')) return 'key starts with "/"';
  if (key.split('/').some((s) => s === '..' || s === '.')) return 'key has "." or ".." segments';
  return undefined;
}

/** The code of a refusal the strategy made itself: its own, else what its path shows, else containment. */
export function strategyRefusalCode(file: {
  path: string;
  refusedCode?: RefusalCode;
}): RefusalCode {
  return file.refusedCode ?? pathRefusal(file.path)?.code ?? 'E_FILE_OUTSIDE_ROOT';
}

export function absoluteOf(source: string, relative: string): string {
  return path.join(source, ...relative.split('/'));
}

/**
 * Where a candidate lives on disk: its absolute path, as bytes when its name is not valid UTF-8
 * (`rawPath`; `path` is then only its key-safe form).
 */
export function localPath(
  source: string,
  file: { readonly path: string; readonly rawPath?: string },
): string | Buffer {
  if (!file.rawPath) return absoluteOf(source, file.path);
  return Buffer.concat([Buffer.from(source), Buffer.from(path.sep), rawPathBytes(file.rawPath)]);
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

  async parentInside(absolute: string | Buffer): Promise<boolean> {
    if (typeof absolute !== 'string') return this.rawParentInside(absolute);
    const dir = path.dirname(absolute);
    const known = this.folders.get(dir);
    if (known !== undefined) return known;
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      return true; // missing: opening the file fails with ENOENT, which is handled as vanished
    }
    return this.remember(dir, await this.contains(real));
  }

  /** The same for a path whose bytes are not valid UTF-8. */
  private async rawParentInside(absolute: Buffer): Promise<boolean> {
    const dir = absolute.subarray(0, Math.max(1, absolute.lastIndexOf(0x2f)));
    let real: Buffer;
    try {
      real = await realpath(dir, { encoding: 'buffer' });
    } catch {
      return true;
    }
    const root = Buffer.from(await this.rootReal());
    return (
      real.equals(root) ||
      (real.length > root.length &&
        real.subarray(0, root.length).equals(root) &&
        real[root.length] === 0x2f)
    );
  }

  private rootReal(): Promise<string> {
    return (this.root ??= realpath(this.source).catch(() => this.source));
  }

  private async contains(real: string): Promise<boolean> {
    const root = await this.rootReal();
    return real === root || real.startsWith(root + path.sep);
  }

  private remember(dir: string, inside: boolean): boolean {
    if (this.folders.size >= 10_000) this.folders.clear();
    this.folders.set(dir, inside);
    return inside;
  }
}
