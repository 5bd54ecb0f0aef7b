/**
 * Declarative fixture trees with mtimes, for strategy and engine tests:
 *
 *   const tree = await createTree({
 *     '2026-11-24/a.wav': { size: 4096, mtime: '2026-11-24T10:00:00Z' },
 *     '2026-11-25/b.wav': 'literal content',
 *   });
 *   ... tree.root ...; await tree.cleanup();
 *
 * Sized files get deterministic content derived from their path, so byte-exact comparisons
 * catch swapped or truncated objects.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type FileSpec =
  | string
  | Buffer
  | { content?: string | Buffer; size?: number; mtime?: Date | string | number };
export type TreeSpec = Record<string, FileSpec>;

export interface FixtureTree {
  readonly root: string;
  /** Absolute path of a relative (`/`-separated) path. */
  path(relative: string): string;
  /** Adds or replaces files. */
  write(spec: TreeSpec): Promise<void>;
  /** The bytes a spec entry produces (to compare with downloaded objects). */
  contentOf(relative: string, spec: FileSpec): Buffer;
  /**
   * Sets the mtime of every folder below the root (the root too) to `when`, as an archive's
   * folders look once they are no longer written to. Their ctime stays "now": no API sets it.
   */
  ageFolders(when?: Date): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * Deterministic bytes for a path and size: an AES-CTR key stream keyed by the path's SHA-256
 * (pseudo-random, so no two parts of a file look alike, and fast for multi-MiB files).
 */
export function fixtureBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

function contentOf(relative: string, spec: FileSpec): Buffer {
  if (typeof spec === 'string') return Buffer.from(spec);
  if (Buffer.isBuffer(spec)) return spec;
  if (spec.content !== undefined)
    return Buffer.isBuffer(spec.content) ? spec.content : Buffer.from(spec.content);
  return fixtureBytes(relative, spec.size ?? 0);
}

export async function createTree(
  spec: TreeSpec = {},
  options: { root?: string } = {},
): Promise<FixtureTree> {
  const root = options.root ?? (await mkdtemp(path.join(os.tmpdir(), 'recsync-tree-')));
  const abs = (relative: string) => path.join(root, ...relative.split('/'));
  const write = async (entries: TreeSpec) => {
    for (const [relative, fileSpec] of Object.entries(entries)) {
      const file = abs(relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, contentOf(relative, fileSpec));
      const mtime =
        typeof fileSpec === 'object' && !Buffer.isBuffer(fileSpec) ? fileSpec.mtime : undefined;
      if (mtime !== undefined) {
        const when = mtime instanceof Date ? mtime : new Date(mtime);
        await utimes(file, when, when);
      }
    }
  };
  await write(spec);
  return {
    root,
    path: abs,
    write,
    contentOf,
    ageFolders: (when = new Date(Date.now() - 3_600_000)) => ageFolders(root, when),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

async function ageFolders(dir: string, when: Date): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await ageFolders(path.join(dir, entry.name), when);
  }
  await utimes(dir, when, when);
}
