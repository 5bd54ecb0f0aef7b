/** Test helpers: temp trees, an instance with a pinned clock, and partition collection. */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { Partition, RangeRequest, StrategyInstance } from '@recsync/framework';
import { runStrategy, tempDirs } from '@recsync/framework/testing';
import {
  dateOptionsSchema,
  dateStrategy,
  type DateCursor,
  type DateFoldersOptions,
} from '../src/internal.js';

const temp = tempDirs('recsync-date-');
afterEach(temp.cleanup);

/**
 * A temp source folder holding `files` (relative paths, each with a little content) and empty
 * `dirs`.
 */
export async function tree(spec: { files?: string[]; dirs?: string[] } = {}): Promise<string> {
  const root = await temp.make();
  for (const dir of spec.dirs ?? []) await mkdir(path.join(root, dir), { recursive: true });
  for (const file of spec.files ?? []) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), `content of ${file}`);
  }
  return root;
}

export interface Harness {
  readonly instance: StrategyInstance<DateCursor>;
  readonly warnings: string[];
}

/** An instance for `source` (a folder that need not exist) with validated options. */
export function harness(
  options: DateFoldersOptions,
  source = path.join(tmpdir(), 'recsync-date-missing-source'),
  followSymlinks = false,
): Harness {
  const warnings: string[] = [];
  const instance = dateStrategy.create(dateOptionsSchema.parse(options), {
    source,
    followSymlinks,
    warn: (message) => warnings.push(message),
  });
  return { instance, warnings };
}

export interface Collected {
  readonly id: string;
  readonly closed: boolean;
  readonly recheck: boolean;
}

/** Pulls every partition of one run, with the clock pinned at `now`. */
export async function collect(
  instance: StrategyInstance<DateCursor>,
  request: { now: string; cursor?: DateCursor; range?: RangeRequest },
): Promise<{ partitions: Partition[]; summary: Collected[] }> {
  const run = await runStrategy(instance, { ...request, files: false });
  const partitions = run.partitions.map((p) => p.partition);
  const summary = partitions.map((p) => ({
    id: p.id,
    closed: p.closed,
    recheck: p.recheck === true,
  }));
  return { partitions, summary };
}

/** Ids only. */
export async function ids(
  instance: StrategyInstance<DateCursor>,
  request: { now: string; cursor?: DateCursor; range?: RangeRequest },
): Promise<string[]> {
  return (await collect(instance, request)).summary.map((p) => p.id);
}

/** The file paths a partition yields, sorted. */
export async function filesOf(partition: Partition): Promise<string[]> {
  const paths: string[] = [];
  for await (const file of partition.files()) paths.push(file.path);
  return paths.sort();
}
