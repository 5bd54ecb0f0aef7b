/**
 * Test helpers: temp folders, an instance with collected warnings, runs driven as the engine does.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { FileCandidate, Partition, StrategyInstance } from '@recsync/framework';
import { advanceCursor, runStrategy, tempDirs } from '@recsync/framework/testing';
import {
  journalOptionsSchema,
  journalStrategy,
  type JournalCursor,
  type JournalOptions,
} from '../src/internal.js';

const temp = tempDirs('recsync-journal-');
afterEach(temp.cleanup);

/** A temp folder removed after the test. */
export const tempDir = temp.make;

/**
 * A source folder with `files` (relative paths, small content) and a `journal` folder beside it.
 */
export async function archive(
  files: string[] = [],
): Promise<{ root: string; source: string; journalDir: string }> {
  const root = await tempDir();
  const source = path.join(root, 'RECORDINGS');
  const journalDir = path.join(root, 'journal');
  await mkdir(source, { recursive: true });
  await mkdir(journalDir, { recursive: true });
  await addFiles(source, files);
  return { root, source, journalDir };
}

export async function addFiles(source: string, files: string[]): Promise<void> {
  for (const file of files) {
    await mkdir(path.dirname(path.join(source, file)), { recursive: true });
    await writeFile(path.join(source, file), `content of ${file}`);
  }
}

/** Appends lines (each gets its `\n`). */
export async function appendLines(file: string, lines: string[]): Promise<void> {
  await appendFile(file, lines.map((l) => `${l}\n`).join(''));
}

export interface Harness {
  readonly instance: StrategyInstance<JournalCursor>;
  readonly warnings: string[];
}

export function harness(options: JournalOptions, source: string, followSymlinks = false): Harness {
  const warnings: string[] = [];
  const instance = journalStrategy.create(journalOptionsSchema.parse(options), {
    source,
    followSymlinks,
    warn: (m) => void warnings.push(m),
  });
  return { instance, warnings };
}

export interface Collected {
  readonly partition: Partition;
  readonly files: FileCandidate[];
}

/** Every partition of one run with its files (files sorted by path). */
export async function collect(
  instance: StrategyInstance<JournalCursor>,
  cursor?: JournalCursor,
  now = new Date(),
): Promise<Collected[]> {
  const run = await runStrategy(instance, { cursor, now });
  return run.partitions.map(({ partition, files }) => ({
    partition,
    files: [...files].sort((a, b) => (a.path < b.path ? -1 : 1)),
  }));
}

/** The cursor after every partition is done, in order. */
export function advanceAll(
  instance: StrategyInstance<JournalCursor>,
  cursor: JournalCursor | undefined,
  runs: Collected[],
): JournalCursor | undefined {
  return advanceCursor(
    instance,
    cursor,
    runs.map((r) => r.partition),
  );
}

/**
 * One run from `cursor`: the paths it yields (in partition order, sorted within each) and the
 * cursor after it, through JSON.
 */
export async function runOnce(
  h: Harness,
  cursor?: JournalCursor,
  now = new Date(),
): Promise<{ paths: string[]; cursor?: JournalCursor; runs: Collected[] }> {
  const runs = await collect(h.instance, cursor, now);
  const next = advanceAll(h.instance, cursor, runs);
  return {
    paths: runs.flatMap((r) => r.files.map((f) => f.path)),
    cursor: next && JSON.parse(JSON.stringify(next)),
    runs,
  };
}
