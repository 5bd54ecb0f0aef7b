/**
 * The strategy contract: where new files can be.
 *
 * A strategy is a definition made with {@link defineStrategy}: a name, a zod schema for its
 * options, a zod schema for its cursor, and `create()`, which returns an instance for one job.
 * The instance yields partitions in a defined order; each partition yields candidate files as
 * an async iterable. The framework never materialises either: it pulls.
 *
 * Required: `partitions()` and `advance()`. Optional capabilities the framework detects:
 * `describe()` (facts shown by `plan`), `identity()` on the definition (which options make the
 * state incompatible), `range` on the definition (accepts `--since/--until`), `checkRange()`
 * (reads `--since/--until` before anything runs), `describeCursor()` (the cursor in words).
 */
import type { z } from 'zod';
import type { FolderSink } from './engine/folders.js';
import type { RefusalCode } from './fs/containment.js';

/** One candidate file, as a strategy reports it. */
export interface FileCandidate {
  /** Path relative to the job's source root, `/`-separated. The engine refuses `..` segments and absolute paths. */
  readonly path: string;
  /** Size in bytes when the strategy saw the file. */
  readonly size: number;
  /** Modification time, milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Where the strategy learnt of the file (a journal line, say), named in error messages. */
  readonly origin?: string;
  /**
   * The strategy names a file that is not there (yet): a journal entry written before the file
   * was closed. The engine defers it to the pending set; see {@link StrategyInstance.missingTimeoutMs}.
   * `size` and `mtimeMs` are then 0.
   */
  readonly missing?: boolean;
  /**
   * With `missing`: what the file is waiting for, as shown in the deferred reason
   * ("shorter than the journal says: 5 of 10 bytes written"). Default: "not found yet".
   */
  readonly waiting?: string;
  /**
   * The strategy refuses this entry (a journal line outside the root, invalid UTF-8): the engine
   * reports it as refused with this reason (an error event; the run exits 1) and never reads it.
   */
  readonly refused?: string;
  /**
   * The cause of {@link refused} as a code (`E_FILE_SYMLINK_OUT` for a symlink out of the root).
   * Default: what the path itself shows (`..`, absolute: `E_FILE_OUTSIDE_ROOT`; malformed:
   * `E_FILE_BAD_PATH`), else `E_FILE_OUTSIDE_ROOT`.
   */
  readonly refusedCode?: RefusalCode;
  /**
   * The raw bytes of the relative path (base64), set when they are not valid UTF-8: `path` is
   * then the key-safe form (see the framework's fs/names.ts). The engine opens the file by its
   * raw bytes and stores them in the object's metadata.
   */
  readonly rawPath?: string;
  /**
   * The entry could not be read (`folder: true`: a folder whose files are therefore unknown).
   * The engine keeps it in the pending set with an error (exit 1) and reads it again on every
   * later run, without holding back the files beside it. `size` and `mtimeMs` are then 0.
   */
  readonly unreadable?: { readonly error: string; readonly folder: boolean };
}

export type RemoteCheckMode = 'list' | 'head' | 'none';

/** A unit of work with an id, a place to look and its candidate files. */
export interface Partition {
  /** Stable id, unique within one run (`2026-11-25`, a journal byte range, `run`). */
  readonly id: string;
  /** Absolute local directory the files live under (for reporting and containment). */
  readonly dir: string;
  /**
   * Key prefix, relative to the target prefix, under which every object of this partition
   * lives (`2026-11-25/`). Lets the `list` remote check list just that prefix; without it the
   * engine answers "already there?" with HEAD requests.
   */
  readonly prefix?: string;
  /**
   * False while the partition can still receive files (today's folder): it is synced, but
   * never counted as done, so the cursor never passes it.
   */
  readonly closed: boolean;
  /** True when the partition was completed before and is re-checked (look-back). */
  readonly recheck?: boolean;
  /**
   * Overrides the job's remote check for this partition (a journal re-read after a truncation
   * checks with `head` whatever the default). Optional.
   */
  readonly remoteCheck?: RemoteCheckMode;
  /**
   * The candidate files. Called once per run. Must stream (never build an array of the
   * partition) and must only yield files inside the source root. Errors thrown here fail the
   * partition (it is then not done, and the cursor stays before it).
   */
  files(options?: PartitionFilesOptions): AsyncIterable<FileCandidate>;
}

/** What the engine offers a partition's walk. Strategies may ignore it. */
export interface PartitionFilesOptions {
  /**
   * Stamps of the folders walked (see the framework's `walkFiles({ onFolder })`). A strategy
   * that reports them lets the engine skip the partition on later runs while its folders are
   * unchanged (`lookbackCheck: 'folders'`); one that does not is always read.
   */
  readonly onFolder?: FolderSink;
}

/** What `advance()` is told of a done partition: a strategy recovers its position from the id. */
export type DonePartition = Pick<Partition, 'id' | 'closed' | 'recheck'>;

/** A `--since/--until` selection, as typed by the user; its meaning belongs to the strategy. */
export interface RangeRequest {
  readonly since?: string;
  readonly until?: string;
}

export interface PartitionsRequest<C> {
  /** The cursor saved by the last run, or undefined on a first run. Ignored when `range` is set. */
  readonly cursor: C | undefined;
  /** A one-off selection that ignores the cursor (and does not move it). */
  readonly range?: RangeRequest;
  /** The run's clock. Strategies must not read the clock themselves (tests pin it). */
  readonly now: Date;
  readonly signal: AbortSignal;
}

/** What a strategy instance does for one job. */
export interface StrategyInstance<C> {
  /**
   * The partitions of this run, in order (oldest first). Pulled lazily, and possibly a few
   * ahead of the one being processed (the engine prefetches listings); never concurrently.
   */
  partitions(request: PartitionsRequest<C>): AsyncIterable<Partition>;
  /**
   * The cursor after `partition` is done, given the cursor before it. Called for closed
   * partitions only, in partition order, once every earlier partition is done. Must never
   * move the cursor backwards (a look-back partition leaves it as it is).
   */
  advance(cursor: C | undefined, partition: DonePartition): C | undefined;
  /** Facts `plan` prints in its header (timezone, cutoff, ignored folders). Optional. */
  describe?(): Record<string, string | number | boolean>;
  /**
   * Called after a state write that moved the cursor to `cursor` (the move is durable), so the
   * strategy may clean up what the cursor now covers (delete committed journal segments).
   * Optional; errors are reported as warnings and do not fail the run. Never called by `plan`.
   */
  committed?(cursor: C): Promise<void>;
  /**
   * Orders two saved cursors: negative when `a` covers less than `b`, 0 when the same. Needed
   * with `committed` when a job runs as shards: the engine then cleans up only what every
   * shard's cursor covers (it passes the least advanced one). Optional otherwise.
   */
  compareCursors?(a: C, b: C): number;
  /**
   * How long a file named by the strategy but missing stays in the pending set before it is
   * reported as missing and dropped. Undefined: a pending file that no longer exists is dropped
   * at once (it was deleted, there is nothing to back up).
   */
  readonly missingTimeoutMs?: number;
  /**
   * The instant the period of partition `id` begins, for strategies whose partitions are
   * periods (date folders). Optional; Object Lock `from: 'partition'` needs it.
   */
  partitionStart?(id: string): Date | undefined;
  /**
   * Says whether a saved cursor lies in the future (a clock that ran ahead, an edited state):
   * returns what is wrong in words, or undefined when the cursor is fine. A cursor in the future
   * would make every later run select nothing, so the engine refuses it (exit 2). Optional;
   * strategies whose cursor is not a time (a journal offset) leave it out.
   */
  futureCursor?(cursor: C, now: Date): string | undefined;
  /**
   * True when a completed partition's folder may lose entries by design (a camera tree that
   * rotates old clips): the engine then only warns when it finds fewer entries than an earlier
   * run completed it with, instead of refusing to run. Default false.
   */
  readonly partitionsMayShrink?: boolean;
}

/** What a strategy gets from the framework when it is created for a job. */
export interface StrategyContext {
  /** Absolute, resolved source root. */
  readonly source: string;
  /** Whether symlinks may be followed (job option `followSymlinks`). */
  readonly followSymlinks: boolean;
  /**
   * The job's include/exclude globs (the built-in filter applies them to every file anyway).
   * A strategy may use them to avoid reading folders the filter would exclude entirely; with
   * the filter's meaning: picomatch on the relative path, a pattern without `/` matches base names.
   */
  readonly filters?: { readonly include: readonly string[]; readonly exclude: readonly string[] };
  /** Report a non-fatal problem (an unreadable folder, a skipped symlink). */
  warn(message: string): void;
}

export interface StrategyDefinition<
  O extends z.ZodType = z.ZodType,
  C extends z.ZodType = z.ZodType,
> {
  /** Package-style name, recorded in the state (`@recsync/strategy-date`). */
  readonly name: string;
  /** zod schema of the options. Use strict objects so typos are errors. */
  readonly options: O;
  /** zod schema of the cursor. Saved cursors are validated with it before use. */
  readonly cursor: C;
  /**
   * Which options the saved state depends on (default: all of them). A state written under a
   * different identity is refused. Options that only tune a run (look-back, grace) belong out.
   */
  identity?(options: z.output<O>): unknown;
  /** Set when the strategy accepts `--since/--until`; the text says what they take. */
  readonly range?: string;
  /**
   * Checks `--since/--until` before anything runs (no lock, no state, no listing), throwing a
   * `RecsyncError` `E_USAGE` that says what is accepted. Optional: without it a bad range is
   * reported when the partitions are first read. Must be pure (no I/O).
   */
  checkRange?(range: RangeRequest, options: z.output<O>, now: Date): void;
  /**
   * The saved cursor in words (`through 2026-11-25`) and the time it stands for, when it stands
   * for one (metrics report the cursor's age from it). Optional: the framework falls back to a
   * generic rendering of the JSON (see `describeCursor` in the framework). Must be pure.
   */
  describeCursor?(cursor: z.output<C>, options: z.output<O>): CursorDescription;
  /** The remote check used when the job does not set `remoteCheck` (default `list`). */
  readonly defaultRemoteCheck?: RemoteCheckMode;
  /**
   * The settle time used when the job does not set `filters.settle` (default 5 minutes), for
   * strategies whose files are known to be complete (a journal written after close).
   */
  readonly defaultSettleMs?: number;
  create(options: z.output<O>, context: StrategyContext): StrategyInstance<z.output<C>>;
}

/** A cursor in words, for status, plan, summaries and metrics. */
export interface CursorDescription {
  /** One line a person can read: `through 2026-11-25 (every earlier day is done)`. */
  readonly text: string;
  /** The moment up to which the archive is known to be backed up, ISO 8601 (cursor age). */
  readonly time?: string;
}

export type AnyStrategyDefinition = StrategyDefinition<z.ZodType, z.ZodType>;

/** A strategy with its (not yet validated) options, as written in a config. */
export interface StrategyRef {
  readonly kind: 'recsync.strategy';
  readonly definition: AnyStrategyDefinition;
  readonly options: unknown;
}

/** Typed identity: declares a strategy. */
export function defineStrategy<O extends z.ZodType, C extends z.ZodType>(
  definition: StrategyDefinition<O, C>,
): StrategyDefinition<O, C> {
  return definition;
}

/** Pairs a strategy with options for a config: what factories like `dateFolders()` return. */
export function useStrategy<O extends z.ZodType, C extends z.ZodType>(
  definition: StrategyDefinition<O, C>,
  options: z.input<O>,
): StrategyRef {
  return {
    kind: 'recsync.strategy',
    definition: definition as unknown as AnyStrategyDefinition,
    options,
  };
}

export function isStrategyRef(value: unknown): value is StrategyRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as StrategyRef).kind === 'recsync.strategy'
  );
}

export function isStrategyDefinition(value: unknown): value is AnyStrategyDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<AnyStrategyDefinition>;
  return (
    typeof v.name === 'string' &&
    typeof v.create === 'function' &&
    v.options !== undefined &&
    v.cursor !== undefined
  );
}
