/**
 * Containment (correctness rule 6): the one definition of "inside the source root" that the
 * engine, the framework's walk and every strategy use.
 *
 * - A candidate's relative path never leaves the root by its name: no `..` segment, not
 *   absolute, not malformed ({@link pathRefusal}). An object key never has `.`/`..` segments
 *   ({@link keyProblem}).
 * - A real (symlink-resolved) path is inside the root when it is the root's real path or lies
 *   below it ({@link isInside}, {@link isInsideBytes}); a followed symlink is taken only then
 *   ({@link followLink}).
 * - Before a file is opened, the folder holding it must resolve inside the root
 *   ({@link RootGuard}): `O_NOFOLLOW` only guards the last path component.
 *
 * Strategies import it from `@recsync/framework` or, where loading the engine is unwanted (a
 * worker thread), from `@recsync/framework/containment`: this module imports only Node's
 * built-ins.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

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

/** Why a relative, `/`-separated candidate path is refused, or undefined when it is fine. */
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

/** Why an object key is refused, or undefined when it is fine. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'empty key';
  if (Buffer.byteLength(key) > 1024) return 'key longer than 1024 bytes';
  if (key.startsWith('/')) return 'key starts with "/"';
  if (key.split('/').some((s) => s === '..' || s === '.')) return 'key has "." or ".." segments';
  return undefined;
}

/**
 * Whether `target` is `root` or lies below it. Both must be absolute and resolved the same way
 * (compare real paths with real paths: `realpath` of the root, `realpath` of the target).
 */
export function isInside(root: string, target: string): boolean {
  if (target === root) return true;
  const base = root.endsWith(path.sep) ? root : root + path.sep;
  return target.startsWith(base);
}

/** {@link isInside} for paths as bytes (names that are not valid UTF-8). */
export function isInsideBytes(root: Buffer, target: Buffer): boolean {
  if (target.equals(root)) return true;
  const sep = path.sep.charCodeAt(0);
  const length = root.length > 0 && root[root.length - 1] === sep ? root.length - 1 : root.length;
  return (
    target.length > length &&
    target.subarray(0, length).equals(root.subarray(0, length)) &&
    target[length] === sep
  );
}

/**
 * `absolute` relative to `root`, `/`-separated, when it lies inside it by its name ('' for the
 * root itself); undefined when it leaves it. Lexical: symlinks are not resolved.
 */
export function relativeInside(root: string, absolute: string): string | undefined {
  const relative = path.relative(root, absolute);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative))
    return undefined;
  return path.sep === '/' ? relative : relative.split(path.sep).join('/');
}

/** Where a symlink leads: its real path and whether that is inside the root. */
export interface LinkTarget<P extends string | Buffer> {
  readonly real: P;
  readonly inside: boolean;
}

/**
 * Resolves a symlink met while walking (`link`, absolute) against the root's real path: the
 * target's real path and whether it is inside. Undefined when the link dangles (or loops). A
 * link is followed only when it is inside; what it points to (a folder, a file) is the caller's
 * question.
 */
export async function followLink(
  rootReal: string,
  link: string,
): Promise<LinkTarget<string> | undefined>;
export async function followLink(
  rootReal: Buffer,
  link: string | Buffer,
): Promise<LinkTarget<Buffer> | undefined>;
export async function followLink(
  rootReal: string | Buffer,
  link: string | Buffer,
): Promise<LinkTarget<string> | LinkTarget<Buffer> | undefined> {
  try {
    if (typeof rootReal === 'string') {
      const real = await realpath(link as string);
      return { real, inside: isInside(rootReal, real) };
    }
    const real = await realpath(link, { encoding: 'buffer' });
    return { real, inside: isInsideBytes(rootReal, real) };
  } catch {
    return undefined;
  }
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

  /** The source's real path (the source itself while it cannot be resolved). */
  rootReal(): Promise<string> {
    return (this.root ??= realpath(this.source).catch(() => this.source));
  }

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
    return this.remember(dir, isInside(await this.rootReal(), real));
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
    return isInsideBytes(Buffer.from(await this.rootReal()), real);
  }

  private remember(dir: string, inside: boolean): boolean {
    if (this.folders.size >= 10_000) this.folders.clear();
    this.folders.set(dir, inside);
    return inside;
  }
}
