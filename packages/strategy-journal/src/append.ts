/**
 * The producer side: appending finished files to a journal.
 *
 * Guarantees: the journal is opened with O_APPEND for each call (so a rotation between calls is
 * followed) and each entry is one `write()` of one whole line, so entries from concurrent
 * producers never interleave inside a line. Paths are checked before they are written: with
 * `source`, a path outside it is refused and the others are written relative to it. A path the
 * text form cannot carry (a newline, a leading `{` or `#`, only blanks) is written as a JSON
 * entry. For a segment folder the entry goes to the day's segment (`2026-11-25.log`, UTC).
 */
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { RecsyncError, relativeInside } from '@recsync/framework';

export interface JournalEntry {
  readonly path: string;
  /** Final size in bytes: the reader waits while the file on disk is smaller. */
  readonly size?: number;
  /** Modification time, ms since the epoch or an ISO date (informational). */
  readonly mtime?: number | string;
}

export interface AppendOptions {
  /** The job's source root: every entry must be inside it and is written relative to it. */
  readonly source?: string;
  /** Base of relative paths (default: the working directory). */
  readonly cwd?: string;
  /** fsync the journal (and its folder) before returning. */
  readonly fsync?: boolean;
  /** Segment folders only: the segment to append to (default: today's, `YYYY-MM-DD.log` in UTC). */
  readonly segment?: string;
  /** Clock for the default segment name. */
  readonly now?: Date;
}

export interface AppendResult {
  /** The journal file written to. */
  readonly file: string;
  readonly appended: number;
}

type Entries = Iterable<string | JournalEntry> | AsyncIterable<string | JournalEntry>;

/**
 * Appends entries to the journal file (or segment folder) `journal`. A list is checked as a
 * whole before anything is written; entries from an async source are checked one by one, and
 * the first refused one stops the call (the ones before it are written).
 */
export async function appendToJournal(
  journal: string,
  entries: Entries,
  options: AppendOptions = {},
): Promise<AppendResult> {
  const file = await journalFile(journal, options);
  const toLine = await lineMaker(options);
  const lines =
    Symbol.asyncIterator in entries ? mapAsync(entries, toLine) : Array.from(entries, toLine);
  const handle = await open(file, 'a', 0o644).catch((error: unknown) => {
    throw new RecsyncError('E_USAGE', {
      message: `cannot open the journal ${file}: ${(error as Error).message}`,
      hint: 'create its folder, or check permissions',
      cause: error,
    });
  });
  let appended = 0;
  try {
    for await (const line of lines) {
      const bytes = Buffer.from(line, 'utf8');
      const { bytesWritten } = await handle.write(bytes, 0, bytes.length, null);
      if (bytesWritten !== bytes.length)
        throw new Error(
          `short write to ${file} (${bytesWritten} of ${bytes.length} bytes): the disk may be full`,
        );
      appended++;
    }
    if (options.fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  if (options.fsync) await syncFolder(path.dirname(file));
  return { file, appended };
}

async function* mapAsync<T, R>(items: AsyncIterable<T>, fn: (item: T) => R): AsyncGenerator<R> {
  for await (const item of items) yield fn(item);
}

async function journalFile(journal: string, options: AppendOptions): Promise<string> {
  const isFolder = await stat(journal).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isFolder) return journal;
  const segment =
    options.segment ?? `${(options.now ?? new Date()).toISOString().slice(0, 10)}.log`;
  if (segment.includes('/') || segment.startsWith('.')) {
    throw new RecsyncError('E_USAGE', {
      message:
        `segment name ${JSON.stringify(segment)} must be a plain file name not starting with ` +
        '"."',
    });
  }
  return path.join(journal, segment);
}

/** Checks one entry and renders its journal line (with the `\n`). */
async function lineMaker(
  options: AppendOptions,
): Promise<(entry: string | JournalEntry) => string> {
  const cwd = options.cwd ?? process.cwd();
  const source = options.source === undefined ? undefined : path.resolve(options.source);
  const real = source === undefined ? undefined : await realpath(source).catch(() => source);
  return (entry) => {
    const given = typeof entry === 'string' ? { path: entry } : entry;
    if (typeof given.path !== 'string' || given.path === '' || given.path.includes('\0')) {
      throw new RecsyncError('E_USAGE', {
        message: `not a usable path: ${JSON.stringify(given.path)}`,
      });
    }
    const absolute = path.resolve(cwd, given.path);
    const written = source === undefined ? absolute : entryPath(absolute, source, real!);
    if (written === undefined) {
      throw new RecsyncError('E_USAGE', {
        message: `${absolute} is outside the source ${source}: not added to the journal`,
        hint: "journal entries must name files inside the job's source folder",
      });
    }
    return render({ ...given, path: written });
  };
}

/** `absolute` relative to the source (or its real path) when it names something below it. */
function entryPath(absolute: string, source: string, real: string): string | undefined {
  for (const root of [source, real]) {
    const relative = relativeInside(root, absolute);
    if (relative) return relative;
  }
  return undefined;
}

function render(entry: JournalEntry): string {
  const plain =
    entry.size === undefined &&
    entry.mtime === undefined &&
    !/[\n\r]/.test(entry.path) &&
    !/^[{#]/.test(entry.path) &&
    entry.path.trim() !== '';
  if (plain) return `${entry.path}\n`;
  const json: JournalEntry = {
    path: entry.path,
    ...(entry.size !== undefined ? { size: entry.size } : {}),
    ...(entry.mtime !== undefined ? { mtime: entry.mtime } : {}),
  };
  return `${JSON.stringify(json)}\n`;
}

async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
