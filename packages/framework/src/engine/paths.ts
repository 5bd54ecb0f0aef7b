/**
 * Containment rules for candidate paths and object keys (correctness rule 6): a candidate must
 * stay inside the source root and a key never has `..` segments.
 */
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
