/**
 * Where a run reads: which journal files, in which order, from which offset.
 *
 * Single file. Normal case: the file at the journal path is the cursor's file (same device and
 * inode), at least as long as the offset, and the bytes before the offset still hash to the
 * cursor's `tail`: read it from the offset. Nothing else is looked at, so this costs one stat
 * and one 1 KiB read. Otherwise the journal was rotated or truncated, and its rotated siblings
 * (`written.log.1`, `written.log-20261125`, …; compressed ones cannot be read) are searched:
 *
 * - the cursor's inode among them (rename rotation): the rest of that file is read first;
 * - else a file whose bytes before the offset match `tail` (the copy made by copy-truncate);
 * - siblings modified after the cursor's lines were read follow, oldest first, then the
 *   current journal from 0.
 *
 * A file read from 0 that has the cursor's inode (truncated, or the inode was reused) is read
 * with a HEAD check, and so is everything when the cursor's file is gone: those lines may have
 * been uploaded before. Segment folders: segment files in name order; the cursor's segment is
 * read from the offset when it is the same file, re-read with HEAD checks when it was replaced.
 */
import { opendir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { RecsyncError } from '@recsync/framework';
import { tailHash } from './lines.js';
import type { JournalCursor } from './options.js';

export interface JournalFile {
  readonly abs: string;
  readonly name: string;
  readonly dev: string;
  readonly ino: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface ReadStep {
  readonly file: JournalFile;
  readonly from: number;
  /** Complete lines before `from`. */
  readonly linesBefore: number;
  /** The lines may have been uploaded before: check with HEAD whatever the job's default. */
  readonly recheck: boolean;
  /** Consume the file's complete lines without yielding them (`start: 'end'`). */
  readonly skipToEnd?: boolean;
}

export interface ReadPlan {
  readonly steps: ReadStep[];
  /** Warnings for the run (a lost file, a truncation). */
  readonly notes: string[];
}

const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|lzma|z|zip|7z)$/i;

export async function statFile(abs: string): Promise<JournalFile | undefined> {
  try {
    const s = await stat(abs, { bigint: true });
    if (!s.isFile()) return undefined;
    return {
      abs,
      name: path.basename(abs),
      dev: String(s.dev),
      ino: String(s.ino),
      size: Number(s.size),
      mtimeMs: Number(s.mtimeNs / 1000n) / 1000,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function sameFile(
  file: Pick<JournalFile, 'dev' | 'ino'>,
  other: Pick<JournalFile, 'dev' | 'ino'>,
): boolean {
  return file.dev === other.dev && file.ino === other.ino;
}

/**
 * Whether the cursor's position is still valid in `file`: long enough, same bytes before the
 * offset.
 */
async function continues(file: JournalFile, cursor: JournalCursor): Promise<boolean> {
  if (file.size < cursor.offset) return false;
  const handle = await open(file.abs, 'r');
  try {
    return (await tailHash(handle, cursor.offset)) === cursor.tail;
  } finally {
    await handle.close();
  }
}

const fromStart = (file: JournalFile, recheck = false): ReadStep => ({
  file,
  from: 0,
  linesBefore: 0,
  recheck,
});

/** The read plan for a single journal file and its rotated siblings. */
export async function planSingleFile(
  journal: string,
  cursor: JournalCursor | undefined,
  start: 'beginning' | 'end',
): Promise<ReadPlan> {
  const current = await statFile(journal);
  if (
    !current &&
    (await stat(journal).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new RecsyncError('E_USAGE', {
      message: `the journal ${journal} is a folder`,
      hint: 'for a folder of segment files, set directory instead of path',
    });
  }
  if (!cursor) {
    if (start === 'end')
      return { steps: current ? [{ ...fromStart(current), skipToEnd: true }] : [], notes: [] };
    const { readable } = await rotatedSiblings(journal);
    const steps = [...readable, ...(current ? [current] : [])].map((f) => fromStart(f));
    return {
      steps,
      notes:
        steps.length === 0 ? [`the journal ${journal} does not exist (yet): nothing to read`] : [],
    };
  }
  if (current && sameFile(current, cursor) && (await continues(current, cursor))) {
    return {
      steps: [{ file: current, from: cursor.offset, linesBefore: cursor.line, recheck: false }],
      notes: [],
    };
  }
  return planAfterBreak(journal, current, cursor);
}

async function planAfterBreak(
  journal: string,
  current: JournalFile | undefined,
  cursor: JournalCursor,
): Promise<ReadPlan> {
  const { readable, compressed } = await rotatedSiblings(journal);
  const candidates = [...(current ? [current] : []), ...readable];
  const resume = await findResume(candidates, cursor);
  const notes: string[] = [];
  const steps: ReadStep[] = resume
    ? [{ file: resume, from: cursor.offset, linesBefore: cursor.line, recheck: false }]
    : [];
  if (!resume) {
    notes.push(
      `the journal file the cursor is in (${cursor.file}, inode ${cursor.ino}, byte ` +
        `${cursor.offset}, line ${cursor.line}) ` +
        'is gone or was ' +
        `truncated${
          compressed.length
            ? ` (${compressed.length} compressed rotated file(s) cannot be read)`
            : ''
        }: ` +
        'entries written to it after that position, if any, cannot be recovered; newer ' +
        'journal files are read with HEAD checks',
    );
  }
  if (resume === current) return { steps, notes };
  for (const sibling of readable) {
    // Ties in mtime cannot be ordered against the cursor: re-read them, checked with HEAD.
    if (sibling !== resume && sibling.mtimeMs >= cursor.mtimeMs)
      steps.push(fromStart(sibling, !resume || sibling.mtimeMs === cursor.mtimeMs));
  }
  if (current) {
    const truncated = sameFile(current, cursor);
    if (truncated && resume)
      notes.push(
        `${journal} was truncated (copy-truncate rotation): the rest of its copy ` +
          `${resume.abs} is read first, then ${journal} from the start with HEAD checks`,
      );
    steps.push(fromStart(current, !resume || truncated));
  }
  return { steps, notes };
}

/** The file holding the cursor's position: by inode first, then by the bytes before the offset. */
async function findResume(
  candidates: JournalFile[],
  cursor: JournalCursor,
): Promise<JournalFile | undefined> {
  for (const file of candidates)
    if (sameFile(file, cursor) && (await continues(file, cursor))) return file;
  if (cursor.offset === 0) return undefined; // an empty prefix matches every file
  for (const file of candidates)
    if (!sameFile(file, cursor) && (await continues(file, cursor))) return file;
  return undefined;
}

/**
 * Files next to the journal named like it plus a suffix (`.1`, `-20261125`, `_old`), oldest first.
 */
async function rotatedSiblings(
  journal: string,
): Promise<{ readable: JournalFile[]; compressed: string[] }> {
  const dir = path.dirname(journal);
  const base = path.basename(journal);
  const readable: JournalFile[] = [];
  const compressed: string[] = [];
  for (const name of (await listNames(dir)) ?? []) {
    if (name.length <= base.length || !name.startsWith(base) || !'.-_'.includes(name[base.length]!))
      continue;
    if (COMPRESSED.test(name)) compressed.push(name);
    else {
      const file = await statFile(path.join(dir, name));
      if (file) readable.push(file);
    }
  }
  return { readable: readable.sort(olderFirst), compressed };
}

/** By mtime; on a tie, logrotate's numbering (`.2` is older than `.1`), then by name. */
function olderFirst(a: JournalFile, b: JournalFile): number {
  const number = (f: JournalFile) => Number(/\.(\d+)$/.exec(f.name)?.[1] ?? -1);
  return (
    a.mtimeMs - b.mtimeMs ||
    number(b) - number(a) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** Names of the non-folder entries of `dir`; undefined when it does not exist. */
async function listNames(dir: string): Promise<string[] | undefined> {
  const names: string[] = [];
  try {
    for await (const entry of await opendir(dir, { bufferSize: 256 }))
      if (!entry.isDirectory()) names.push(entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return names;
}

/** The read plan for a folder of segment files (name order). */
export async function planSegments(
  dir: string,
  cursor: JournalCursor | undefined,
  start: 'beginning' | 'end',
): Promise<ReadPlan> {
  const listed = await listNames(dir);
  if (!listed)
    return {
      steps: [],
      notes: [`the segment folder ${dir} does not exist (yet): nothing to read`],
    };
  const all = listed.filter((n) => !n.startsWith('.')).sort(byName);
  const names = cursor ? all.filter((n) => n >= cursor.file) : all;
  const notes = names
    .filter((n) => COMPRESSED.test(n))
    .map((n) => `segment ${path.join(dir, n)} is compressed and cannot be read: not synced`);
  const files: JournalFile[] = [];
  for (const name of names.filter((n) => !COMPRESSED.test(n))) {
    const file = await statFile(path.join(dir, name));
    if (file) files.push(file);
  }
  if (!cursor) {
    const last = files.at(-1);
    if (start === 'end')
      return { steps: last ? [{ ...fromStart(last), skipToEnd: true }] : [], notes };
    return { steps: files.map((f) => fromStart(f)), notes };
  }
  const steps: ReadStep[] = [];
  const [first] = files;
  if (first?.name === cursor.file) {
    files.shift();
    if (sameFile(first, cursor) && (await continues(first, cursor)))
      steps.push({ file: first, from: cursor.offset, linesBefore: cursor.line, recheck: false });
    else {
      notes.push(
        `segment ${first.abs} was replaced or truncated since byte ${cursor.offset} was ` +
          'read: it is read again from the start with HEAD checks',
      );
      steps.push(fromStart(first, true));
    }
  } else {
    notes.push(
      `segment ${path.join(dir, cursor.file)}, which the cursor is in (byte ` +
        `${cursor.offset}, line ${cursor.line}), is gone: entries written to it after that ` +
        'position, if any, cannot be recovered',
    );
  }
  return { steps: [...steps, ...files.map((f) => fromStart(f))], notes };
}

export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
