/** Test helpers: temp folders, an instance with collected warnings, runs driven by hand. */
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { FileCandidate, Partition, StrategyInstance } from '@recsync/framework';
import {
  journalOptionsSchema,
  journalStrategy,
  type JournalCursor,
  type JournalOptions,
} from '../src/internal.js';

const made: string[] = [];

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A temp folder removed after the test. */
export async function tempDir(prefix = 'recsync-journal-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A source folder with `files` (relative paths, small content) and a `journal` folder beside it. */
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
  const out: Collected[] = [];
  for await (const partition of instance.partitions({
    cursor,
    now,
    signal: new AbortController().signal,
  })) {
    const files: FileCandidate[] = [];
    for await (const file of partition.files()) files.push(file);
    out.push({ partition, files: files.sort((a, b) => (a.path < b.path ? -1 : 1)) });
  }
  return out;
}

/** The cursor after every partition is done, in order. */
export function advanceAll(
  instance: StrategyInstance<JournalCursor>,
  cursor: JournalCursor | undefined,
  runs: Collected[],
): JournalCursor | undefined {
  let current = cursor;
  for (const { partition } of runs) current = instance.advance(current, partition);
  return current;
}

/** One run from `cursor`: the paths it yields (in partition order) and the cursor after it, through JSON. */
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
