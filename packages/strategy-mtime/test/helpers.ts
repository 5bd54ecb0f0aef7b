/**
 * Test helpers: temp trees, instances with a pinned clock, whole runs the way the engine drives
 * them.
 */
import { execFile } from 'node:child_process';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach } from 'vitest';
import type { FileCandidate, RangeRequest } from '@recsync/framework';
import { runStrategy, tempDirs } from '@recsync/framework/testing';
import {
  MtimeCutoff,
  mtimeOptionsSchema,
  type MtimeCursor,
  type MtimeCutoffOptions,
  type ScanFs,
} from '@recsync/strategy-mtime/internal';

const temp = tempDirs('recsync-mtime-');
afterEach(temp.cleanup);

/** A temp folder removed after the test. */
export const tempDir = temp.make;

/** Writes files (relative path → mtime, or null for "now") below `root`. */
export async function writeFiles(
  root: string,
  files: Record<string, string | Date | null>,
): Promise<void> {
  for (const [rel, mtime] of Object.entries(files)) {
    const abs = path.join(root, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, `content of ${rel}`);
    if (mtime !== null) await utimes(abs, new Date(mtime), new Date(mtime));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until file-system timestamps have certainly moved past the current clock reading (the
 * kernel stamps with a coarse clock, a few milliseconds behind).
 */
export const tick = () => sleep(30);

export interface Subject {
  readonly instance: MtimeCutoff;
  readonly warnings: string[];
}

export function subject(
  options: MtimeCutoffOptions,
  source: string,
  extra: { follow?: boolean; fs?: ScanFs; filters?: { include: string[]; exclude: string[] } } = {},
): Subject {
  const warnings: string[] = [];
  const context = {
    source,
    followSymlinks: extra.follow ?? false,
    filters: extra.filters,
    warn: (message: string) => warnings.push(message),
  };
  const instance = new MtimeCutoff(
    mtimeOptionsSchema.parse(options),
    context,
    extra.fs ? { fs: extra.fs } : {},
  );
  return { instance, warnings };
}

export interface RunResult {
  readonly ids: string[];
  readonly files: FileCandidate[];
  /** Sorted relative paths of every candidate. */
  readonly paths: string[];
  /** The cursor after every partition was done, advanced in order as the engine does. */
  readonly cursor: MtimeCursor | undefined;
}

/** One run: every partition walked to the end, then advanced in order. */
export async function run(
  instance: MtimeCutoff,
  request: { now: Date | number; cursor?: MtimeCursor; range?: RangeRequest },
): Promise<RunResult> {
  const { ids, files, paths, cursor } = await runStrategy(instance, request);
  return { ids, files, paths, cursor };
}

/**
 * Paths GNU find prints for `find ROOT -type f ( -newer MARKER [-o -cnewer MARKER] )`, relative and
 * sorted.
 */
export async function findNewer(
  root: string,
  marker: string,
  options: { ctime: boolean },
): Promise<string[]> {
  const test = options.ctime
    ? ['(', '-newer', marker, '-o', '-cnewer', marker, ')']
    : ['-newer', marker];
  const { stdout } = await promisify(execFile)('find', [
    root,
    '-type',
    'f',
    ...test,
    '-printf',
    '%P\\0',
  ]);
  return stdout.split('\0').filter(Boolean).sort();
}
