/**
 * Where the engine finds a candidate on disk. The containment rules themselves (correctness
 * rule 6) live in ../fs/containment.ts; they are re-exported here for the engine's stages.
 */
import path from 'node:path';
import { pathRefusal, type RefusalCode } from '../fs/containment.js';
import { rawPathBytes } from '../fs/names.js';

export {
  keyProblem,
  pathRefusal,
  RootGuard,
  type Refusal,
  type RefusalCode,
} from '../fs/containment.js';

/**
 * The code of a refusal the strategy made itself: its own, else what its path shows, else
 * containment.
 */
export function strategyRefusalCode(file: {
  readonly path: string;
  readonly code?: RefusalCode;
}): RefusalCode {
  return file.code ?? pathRefusal(file.path)?.code ?? 'E_FILE_OUTSIDE_ROOT';
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
