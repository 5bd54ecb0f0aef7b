/**
 * The strategy contract: where new files can be.
 *
 * A strategy is a definition made with {@link defineStrategy}: a name, a zod schema for its
 * options, a zod schema for its cursor, and `create()`, which returns an instance for one job.
 * The instance yields partitions in a defined order; each partition yields candidates as an
 * async iterable. The framework never materialises either: it pulls.
 *
 * Each side is a small required interface plus one typed `features` object for everything
 * optional (as rclone's `Fs` and `Features`): {@link StrategyFeatures} on the definition (known
 * before an instance exists), {@link StrategyInstanceFeatures} on the instance (per job).
 */
import type { z } from 'zod';
import type { FolderSink } from './engine/folders.js';
import type { RefusalCode } from './fs/containment.js';

/**
 * One entry a partition yields: a file to back up, or an entry the engine records without
 * reading it. Tell them apart by `kind` (a file may leave it out).
 */
export type FileCandidate = CandidateFile | MissingFile | RefusedEntry | UnreadableEntry;

/** What every kind of candidate carries. */
interface CandidateBase {
  /**
   * Path relative to the job's source root, `/`-separated. The engine refuses `..` segments and
   * absolute paths.
   */
  readonly path: string;
  /** Where the strategy learnt of the entry (`cdr row 17`, a journal line), named in messages. */
  readonly origin?: string;
  /**
   * The raw bytes of the relative path (base64), set when they are not valid UTF-8: `path` is
   * then the key-safe form (see the framework's fs/names.ts). The engine opens the file by its
   * raw bytes and stores them in the object's metadata. `walkFiles` sets it.
   */
  readonly rawPath?: string;
}

/** A regular file to back up: what the hooks see (`filter`, `key`, `beforeUpload`). */
export interface CandidateFile extends CandidateBase {
  readonly kind?: 'file';
  /** Size in bytes when the strategy saw the file. */
  readonly size: number;
  /** Modification time, milliseconds since the epoch. */
  readonly mtimeMs: number;
}

/**
 * A file the strategy names that is not there (yet): a journal entry written before the file
 * was closed. The engine defers it to the pending set (see
 * {@link StrategyInstanceFeatures.missingTimeoutMs}).
 */
export interface MissingFile extends CandidateBase {
  readonly kind: 'missing';
  /**
   * What the file is waiting for, as shown in the deferred reason ("shorter than the journal
   * says: 5 of 10 bytes written"). Default: "not found yet".
   */
  readonly waiting?: string;
}

/**
 * An entry the strategy refuses (a journal line outside the root, a symlink out): the engine
 * reports it as refused with `reason` (an error event; the run exits 1) and never reads it.
 */
export interface RefusedEntry extends CandidateBase {
  readonly kind: 'refused';
  readonly reason: string;
  /**
   * The cause as a code (`E_FILE_SYMLINK_OUT` for a symlink out of the root). Default: what the
   * path itself shows (`..`, absolute: `E_FILE_OUTSIDE_ROOT`; malformed: `E_FILE_BAD_PATH`),
   * else `E_FILE_OUTSIDE_ROOT`.
   */
  readonly code?: RefusalCode;
}

/**
 * An entry that could not be read (`folder: true`: a folder whose files are therefore unknown).
 * The engine keeps it in the pending set with an error (exit 1) and reads it again on every
 * later run, without holding back the files beside it. `walkFiles` yields these.
 */
export interface UnreadableEntry extends CandidateBase {
  readonly kind: 'unreadable';
  /** The error code (`EACCES`). */
  readonly error: string;
  readonly folder: boolean;
}

/** Whether a candidate is a file to back up (not a missing, refused or unreadable entry). */
export function isCandidateFile(candidate: FileCandidate): candidate is CandidateFile {
  return candidate.kind === undefined || candidate.kind === 'file';
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

/**
 * What a strategy instance does for one job: two required members, and optional
 * {@link StrategyInstanceFeatures} the engine uses when they are there.
 */
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
  /** What this instance can do beyond the two required members. */
  readonly features?: StrategyInstanceFeatures<C>;
}

/** Optional capabilities of a strategy instance; each one the engine checks for by name. */
export interface StrategyInstanceFeatures<C> {
  /** Facts `plan` prints in its header (timezone, cutoff, ignored folders). */
  describe?(): Record<string, string | number | boolean>;
  /**
   * Called after a state write that moved the cursor to `cursor` (the move is durable), so the
   * strategy may clean up what the cursor now covers (delete committed journal segments).
   * Errors are reported as warnings and do not fail the run. Never called by `plan`.
   */
  committed?(cursor: C): Promise<void>;
  /**
   * Orders two saved cursors: negative when `a` covers less than `b`, 0 when the same. Needed
   * with `committed` when a job runs as shards: the engine then cleans up only what every
   * shard's cursor covers (it passes the least advanced one).
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
   * periods (date folders). Object Lock `from: 'partition'` needs it.
   */
  partitionStart?(id: string): Date | undefined;
  /**
   * Says whether a saved cursor lies in the future (a clock that ran ahead, an edited state):
   * returns what is wrong in words, or undefined when the cursor is fine. A cursor in the future
   * would make every later run select nothing, so the engine refuses it (exit 2). Strategies
   * whose cursor is not a time (a journal offset) leave it out.
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

/**
 * A strategy: four required members, and optional {@link StrategyFeatures} the framework uses
 * when they are there (before any instance exists: config resolution, `--since/--until` checks,
 * `status`).
 */
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
  create(options: z.output<O>, context: StrategyContext): StrategyInstance<z.output<C>>;
  /** What this strategy can do beyond the required members. */
  readonly features?: StrategyFeatures<z.output<O>, z.output<C>>;
}

/** Optional capabilities of a strategy definition; each one the framework checks for by name. */
export interface StrategyFeatures<O = unknown, C = unknown> {
  /**
   * Which options the saved state depends on (default: all of them). A state written under a
   * different identity is refused. Options that only tune a run (look-back, grace) belong out.
   */
  identity?(options: O): unknown;
  /** Set when the strategy accepts `--since/--until`; without it they are a usage error. */
  readonly range?: RangeFeature<O>;
  /**
   * The saved cursor in words (`through 2026-11-25`) and the time it stands for, when it stands
   * for one (metrics report the cursor's age from it). Without it the framework renders the
   * JSON. Must be pure.
   */
  describeCursor?(cursor: C, options: O): CursorDescription;
  /** The remote check used when the job does not set `remoteCheck` (default `list`). */
  readonly defaultRemoteCheck?: RemoteCheckMode;
  /**
   * The settle time used when the job does not set `filters.settle` (default 5 minutes), for
   * strategies whose files are known to be complete (a journal written after close).
   */
  readonly defaultSettleMs?: number;
}

/** How a strategy takes `--since/--until`. */
export interface RangeFeature<O = unknown> {
  /** What `--since/--until` take, in words (shown in errors and help). */
  readonly accepts: string;
  /**
   * Checks `--since/--until` before anything runs (no lock, no state, no listing), throwing a
   * `RecsyncError` `E_USAGE` that says what is accepted. Optional: without it a bad range is
   * reported when the partitions are first read. Must be pure (no I/O).
   */
  check?(range: RangeRequest, options: O, now: Date): void;
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
