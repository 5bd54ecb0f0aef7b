/**
 * The mtime-cutoff strategy: every file created or changed since the last complete run, as
 * `find ROOT -newer MARKER` finds them, plus what that misses (files and folders copied or
 * moved in with old times; see the README for exactly what is and is not detected).
 *
 * Partitions: the files directly in the source root (id `.`, first, only when the root holds
 * any), then one per top-level folder in code-unit order of the names. They are for reporting
 * and for a cursor that survives a run stopping part-way; every partition is closed (a change
 * after the run's clock is the next run's, whatever partition it falls in).
 *
 * Cutoff: the run's clock (`request.now`, captured before the walk) minus `margin`. A file
 * modified during the walk is either seen by this walk or has a time after the clock, which the
 * next run's cutoff is older than: it is never lost. The cursor reaches this run's cutoff only
 * partition by partition, in order, as they are done (see ./cursor.ts).
 */
import * as nodeFs from 'node:fs';
import path from 'node:path';
import {
  RecsyncError,
  compilePathRules,
  defineStrategy,
  formatDuration,
  useStrategy,
  type CursorDescription,
  type DonePartition,
  type FileCandidate,
  type Partition,
  type PathRules,
  type PartitionsRequest,
  type StrategyContext,
  type StrategyInstance,
  type StrategyInstanceFeatures,
  type StrategyRef,
} from '@recsync/framework';
import {
  ROOT_PARTITION,
  completeRun,
  cutoffFor,
  initialState,
  markDone,
  readCursor,
  rememberedFor,
  writeCursor,
  type CursorState,
} from './cursor.js';
import {
  mtimeCursorSchema,
  mtimeOptionsSchema,
  type MtimeCursor,
  type MtimeCutoffOptions,
  type ResolvedMtimeOptions,
} from './options.js';
import { TIME_INPUT_FORMS, parseTimeInput } from './time.js';
import { readTopLevel, type TopLevel } from './top-level.js';
import { ScanPool } from './walk/runner.js';
import type { ScanFs } from './walk/scan.js';
import {
  emptyWalkCounts,
  partitionMemory,
  planDirectory,
  rememberAfterWalk,
  rootFilesTask,
  rootParent,
  walkDirectories,
  type DirTask,
  type PartitionMemory,
  type WalkCounts,
  type WalkEnv,
  type WalkRules,
} from './walk/walker.js';

export const STRATEGY_NAME = '@recsync/strategy-mtime';

export const mtimeStrategy = defineStrategy({
  name: STRATEGY_NAME,
  options: mtimeOptionsSchema,
  cursor: mtimeCursorSchema,
  create: (options, context) => new MtimeCutoff(options, context),
  features: {
    /**
     * The globs decide which files a saved cutoff vouches for: with a wider include, files older
     * than the cutoff in newly included folders were never looked at. The other options change
     * how a run looks, not what a saved cutoff means.
     */
    identity: (options) => ({ include: options.include, exclude: options.exclude }),
    /**
     * `head`: one HEAD per candidate, proportional to what changed. It skips what is already
     * there with the same size and recorded mtime, so re-found files (the margin, a chmod, a
     * folder moved in) are not uploaded again, while a file modified in place (new mtime) is.
     * `list` would list each top-level folder's whole prefix to check a few files; `none` uploads
     * every candidate again.
     */
    defaultRemoteCheck: 'head',
    range: {
      accepts:
        `${TIME_INPUT_FORMS}; --since replaces the saved cutoff for this run, --until ` +
        'leaves out changes after it',
      check: (range, _options, now) => {
        const bound = (flag: string, text: string) => {
          const value = parseTimeInput(text, now);
          if (value === undefined)
            throw new RecsyncError('E_USAGE', {
              message: `${flag} ${JSON.stringify(text)} is not ${TIME_INPUT_FORMS}`,
            });
          return value;
        };
        const since = range.since === undefined ? undefined : bound('--since', range.since);
        const until = range.until === undefined ? undefined : bound('--until', range.until);
        if (since !== undefined && until !== undefined && until < since) {
          throw new RecsyncError('E_USAGE', {
            message: `--until ${range.until} is before --since ${range.since}`,
          });
        }
      },
    },
    describeCursor: (cursor) => describeMtimeCursor(cursor),
  },
});

/** The cutoff in words; it is the time the cursor stands for (changes before it are backed up). */
function describeMtimeCursor(cursor: MtimeCursor): CursorDescription {
  const parts = [
    cursor.cutoff
      ? `changes before ${cursor.cutoff} are done`
      : 'no run completed yet (every file is a candidate)',
  ];
  if (cursor.partial?.length)
    parts.push(
      `a stopped run got through folder "${cursor.partial.at(-1)!.through}" with a newer cutoff`,
    );
  if (cursor.unreadable?.length)
    parts.push(`${cursor.unreadable.length} unreadable folder(s) to read again`);
  return { text: parts.join('; '), ...(cursor.cutoff ? { time: cursor.cutoff } : {}) };
}

/** The factory for `recsync.config.ts`: `strategy: mtimeCutoff({ writeOnce: true })`. */
export function mtimeCutoff(options: MtimeCutoffOptions = {}): StrategyRef {
  return useStrategy(mtimeStrategy, options);
}

/** Test seam: walk on the main thread through this file system. */
export interface MtimeSeams {
  readonly fs?: ScanFs;
}

/** What one call of `partitions()` decided, and how far its partitions got. */
interface Run {
  readonly range: boolean;
  /** The cursor at the start of the run (for a range run: its `--since`, nothing remembered). */
  readonly start: CursorState;
  /** The next run's cutoff: the clock before the walk, minus the margin. */
  readonly nextCutoff: number;
  readonly until: number;
  /** Partition ids in the order yielded. */
  readonly ids: string[];
  readonly index: Map<string, number>;
  /** Set once the last partition was yielded. */
  complete: boolean;
  /** Partitions whose walk finished → what they remember as unreadable. */
  readonly walked: Map<string, ReadonlyMap<string, number>>;
  /** How many leading partitions `advance()` has taken. */
  advanced: number;
}

/** One job's instance. Keeps the current run and counters for `describe()`. */
export class MtimeCutoff implements StrategyInstance<MtimeCursor> {
  private run?: Run;
  private pool?: ScanPool;
  private readonly paths: PathRules;
  private readonly counts = emptyWalkCounts();

  constructor(
    private readonly options: ResolvedMtimeOptions,
    private readonly context: StrategyContext,
    private readonly seams: MtimeSeams = {},
  ) {
    // The strategy's own globs and the job's filters both apply: a file must pass both, and a
    // folder either set rules out entirely is never opened.
    const own = compilePathRules(options.include, options.exclude);
    const job = compilePathRules(context.filters?.include ?? [], context.filters?.exclude ?? []);
    this.paths = {
      includesFile: (rel) => own.includesFile(rel) && job.includesFile(rel),
      matchesInclude: (rel) => own.matchesInclude(rel) && job.matchesInclude(rel),
      excludedBy: (rel) => own.excludedBy(rel) ?? job.excludedBy(rel),
      prunesDir: (rel) => own.prunesDir(rel) || job.prunesDir(rel),
    };
  }

  readonly features: StrategyInstanceFeatures<MtimeCursor> = {
    describe: () => this.describe(),
    futureCursor: (cursor, now) => this.futureCursor(cursor, now),
    /** Top-level folders of a tree without dates may lose files by design (rotating clips). */
    partitionsMayShrink: true,
  };

  /** Every saved cutoff was taken from a clock before a walk: one after `now` ran ahead. */
  futureCursor(cursor: MtimeCursor, now: Date): string | undefined {
    const times = [
      cursor.cutoff,
      ...(cursor.partial ?? []).map((p) => p.cutoff),
      ...(cursor.unreadable ?? []).map((u) => u.cutoff),
    ];
    const latest = times
      .filter((t): t is string => t !== undefined)
      .sort()
      .at(-1);
    return latest !== undefined && Date.parse(latest) > now.getTime()
      ? `its cutoff ${latest} is later than now`
      : undefined;
  }

  async *partitions(request: PartitionsRequest<MtimeCursor>): AsyncGenerator<Partition> {
    if (request.signal.aborted) return;
    const run = this.startRun(request);
    const top = await readTopLevel(this.context.source, {
      session: this.scanPool().session(),
      rules: this.rules(run),
      paths: this.paths,
    });
    this.counts.excludedDirs += top.excluded;
    const ids = [...(top.rootEntries ? [ROOT_PARTITION] : []), ...top.names];
    for (const id of ids) {
      if (request.signal.aborted) return;
      run.index.set(id, run.ids.length);
      run.ids.push(id);
      yield this.partition(run, top, id, request.signal);
    }
    run.complete = true;
  }

  /**
   * Called in partition order for done partitions. Moves the cursor only for a partition whose
   * walk finished in this run after every earlier one was taken; anything else (a partition
   * this instance did not walk, one out of order, a range run) leaves the cursor as it is.
   */
  advance(cursor: MtimeCursor | undefined, partition: DonePartition): MtimeCursor | undefined {
    const run = this.run;
    const position = run?.index.get(partition.id);
    const remembered = run?.walked.get(partition.id);
    if (
      !run ||
      run.range ||
      !partition.closed ||
      position === undefined ||
      remembered === undefined ||
      position > run.advanced
    )
      return cursor;
    if (position === run.advanced) run.advanced++;
    let state = cursor === undefined ? run.start : readCursor(cursor);
    state = markDone(state, partition.id, run.nextCutoff, remembered);
    if (run.complete && run.advanced === run.ids.length)
      state = completeRun(state, run.nextCutoff, new Set(run.ids));
    return writeCursor(state);
  }

  describe(): Record<string, string | number | boolean> {
    const { ctime, writeOnce, margin, threads } = this.options;
    const facts: Record<string, string | number | boolean> = {
      rule: ctime ? 'mtime or ctime' : 'mtime only',
      writeOnce,
      margin: formatDuration(margin),
      threads: this.seams.fs ? 0 : threads,
    };
    const run = this.run;
    if (run) {
      facts.cutoff = isoOrEverything(run.start.base);
      const resumed = run.start.partial.at(-1);
      if (resumed)
        Object.assign(facts, {
          resumedThrough: resumed.through,
          resumedCutoff: isoOrEverything(resumed.cutoff),
        });
      if (run.until !== Infinity) facts.until = new Date(run.until).toISOString();
      if (!run.range) facts.nextCutoff = new Date(run.nextCutoff).toISOString();
      if (run.start.unreadable.size > 0) facts.rememberedUnreadable = run.start.unreadable.size;
    }
    for (const [key, value] of Object.entries(this.counts)) {
      if (
        value > 0 ||
        ['dirsWalked', 'filesStated', 'prunedDirs', 'specialFiles', 'unreadableDirs'].includes(key)
      )
        facts[key] = value;
    }
    if (this.pool && this.pool.threadScans > 0) facts.dirsInThreads = this.pool.threadScans;
    return facts;
  }

  private startRun(request: PartitionsRequest<MtimeCursor>): Run {
    const now = request.now.getTime();
    const startOption =
      this.options.start === undefined
        ? -Infinity
        : parseTimeInput(this.options.start, request.now)!;
    let start: CursorState;
    let until = Infinity;
    if (request.range) {
      const since =
        request.range.since === undefined
          ? startOption
          : this.rangeBound('--since', request.range.since, request.now);
      if (request.range.until !== undefined)
        until = this.rangeBound('--until', request.range.until, request.now);
      if (until < since) {
        const from =
          request.range.since === undefined
            ? `the start (${isoOrEverything(since)})`
            : `--since ${request.range.since}`;
        throw new RecsyncError('E_USAGE', {
          message: `--until ${request.range.until} is before ${from}`,
        });
      }
      start = initialState(since);
    } else {
      start = request.cursor === undefined ? initialState(startOption) : readCursor(request.cursor);
    }
    const run: Run = {
      range: request.range !== undefined,
      start,
      nextCutoff: now - this.options.margin,
      until,
      ids: [],
      index: new Map(),
      complete: false,
      walked: new Map(),
      advanced: 0,
    };
    this.run = run;
    return run;
  }

  private rangeBound(flag: string, text: string, now: Date): number {
    const value = parseTimeInput(text, now);
    if (value === undefined)
      throw new RecsyncError('E_USAGE', {
        message: `${flag} ${JSON.stringify(text)} is not ${TIME_INPUT_FORMS}`,
      });
    return value;
  }

  private partition(run: Run, top: TopLevel, id: string, signal: AbortSignal): Partition {
    const root = id === ROOT_PARTITION;
    return {
      id,
      dir: root ? this.context.source : path.join(this.context.source, id),
      // The root's files share no prefix; a folder with a backslash has no safe one (its files are
      // refused anyway).
      ...(root || id.includes('\\') ? {} : { prefix: `${id}/` }),
      closed: true,
      files: () => this.files(run, top, id, signal),
    };
  }

  /** The partition's candidates; records what it remembers once the walk finished. */
  private async *files(
    run: Run,
    top: TopLevel,
    id: string,
    signal: AbortSignal,
  ): AsyncGenerator<FileCandidate> {
    const memory = partitionMemory(rememberedFor(run.start, id));
    const counts = emptyWalkCounts();
    const env: WalkEnv = {
      session: this.scanPool().session(),
      rules: this.rules(run),
      paths: this.paths,
      rootReal: top.rootReal,
      counts,
      signal,
    };
    try {
      const first = this.firstTask(run, top, id, env, memory);
      const finished = first ? yield* walkDirectories(first, env, memory) : true;
      if (finished) {
        run.walked.set(id, rememberAfterWalk(memory));
        this.report(id, memory, counts);
      }
    } finally {
      for (const [key, value] of Object.entries(counts))
        this.counts[key as keyof WalkCounts] += value;
    }
  }

  private firstTask(
    run: Run,
    top: TopLevel,
    id: string,
    env: WalkEnv,
    memory: PartitionMemory,
  ): DirTask | undefined {
    const cutoff = cutoffFor(run.start, id);
    if (id === ROOT_PARTITION) return rootFilesTask(this.context.source, cutoff, memory);
    return planDirectory(
      rootParent(this.context.source, cutoff, top.rootId),
      top.folders.get(id)!,
      env,
      memory,
    );
  }

  private rules(run: Run): WalkRules {
    return {
      until: run.until,
      ctime: this.options.ctime,
      writeOnce: this.options.writeOnce,
      follow: this.context.followSymlinks,
    };
  }

  private report(id: string, memory: PartitionMemory, counts: WalkCounts): void {
    if (memory.unreadable.size > 0) {
      const examples = [...memory.unreadable.keys()].slice(0, 3).join(', ');
      this.context.warn(
        `partition ${id}: ${memory.unreadable.size} folder(s) could not be read ` +
          `(${examples}${memory.unreadable.size > 3 ? ', …' : ''}); ` +
          'they are remembered and walked again by the next run with the cutoff they missed',
      );
    }
    if (counts.outsideLinks > 0)
      this.context.warn(
        `partition ${id}: ${counts.outsideLinks} symlink(s) lead outside the source and ` +
          'were not followed',
      );
    if (counts.symlinkLoops > 0)
      this.context.warn(`partition ${id}: ${counts.symlinkLoops} symlink loop(s) cut`);
    if (counts.undecodableNames > 0) {
      this.context.warn(
        `partition ${id}: ${counts.undecodableNames} name(s) are not valid UTF-8: backed ` +
          'up under a key-safe name ' +
          '(U+FFFD and a hash), the raw name in the metadata, and checked again on every run',
      );
    }
  }

  private scanPool(): ScanPool {
    this.pool ??= this.seams.fs
      ? new ScanPool(this.seams.fs, 0)
      : new ScanPool(nodeFs, this.options.threads);
    return this.pool;
  }
}

function isoOrEverything(ms: number): string {
  return ms === -Infinity ? 'everything' : new Date(ms).toISOString();
}
