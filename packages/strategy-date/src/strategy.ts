/**
 * The date-folder strategy: one partition per period of the layout (`RECORDINGS/2026-11-25/…`).
 *
 * Order: partitions are yielded oldest first, one period at a time (never a list of periods).
 * Closing: a period is closed once `now` reaches the start of the next period, in the layout's
 * timezone, plus `grace`; the current period is never closed. Cursor: the last completed period,
 * advanced only by closed partitions and never backwards. See ./selection.ts for which periods a
 * run covers and ./period.ts for the DST rules.
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  followLink,
  IncompleteWalkError,
  RecsyncError,
  defineStrategy,
  formatDuration,
  useStrategy,
  walkFiles,
  type DonePartition,
  type FileCandidate,
  type FolderSink,
  type Partition,
  type PartitionsRequest,
  type StrategyContext,
  type StrategyInstance,
  type StrategyInstanceFeatures,
  type StrategyRef,
  type WalkSkipCounts,
} from '@recsync/framework';
import { discoverEarliest, type DiscoveryCounts } from './discover.js';
import { firstCoveredPeriod, parseDateInput } from './input.js';
import { compileLayout, formatPeriod, parseFolderPath, type Layout } from './layout.js';
import {
  dateCursorSchema,
  dateOptionsSchema,
  type DateCursor,
  type DateFoldersOptions,
  type ResolvedDateOptions,
} from './options.js';
import {
  comparePeriods,
  parsePeriodKey,
  periodClosesAt,
  periodStart,
  periodContaining,
  periodKey,
  periodsBetween,
  type Granularity,
  type Period,
} from './period.js';
import {
  cursorSelection,
  firstRunSelection,
  parseRangeBounds,
  rangeSelection,
  type Selection,
} from './selection.js';

export const STRATEGY_NAME = '@recsync/strategy-date';

export const dateStrategy = defineStrategy({
  name: STRATEGY_NAME,
  options: dateOptionsSchema,
  cursor: dateCursorSchema,
  create: (options, context) => new DateFolders(options, context),
  features: {
    /**
     * Only the layout gives a saved cursor its meaning: `through: 2026-11-25` names the folder
     * `2026-11-25` only under that layout. `lookback`, `grace` and `start` change what a run
     * selects, not what a saved position means, so they may change freely. The timezone is left
     * out too: moving it shifts when boundary periods close, which can re-check a period or delay
     * one, never skip one (the cursor is a folder label, and look-back covers the boundary).
     */
    identity: (options) => ({ layout: options.layout }),
    range: {
      accepts: "dates (2026-11-01) or date-hours (2026-11-01T13) in the layout's timezone",
      check: (range, options, now) => {
        const layout = compileLayout(options.layout);
        const current = periodContaining(now, layout.granularity, options.timezone);
        rangeSelection(parseRangeBounds(range, layout, options.timezone), current, undefined);
      },
    },
    /**
     * The last completed period; its end (in the layout's zone) is the time the cursor stands for.
     */
    describeCursor: (cursor, options) => {
      const layout = compileLayout(options.layout);
      const period = parsePeriodKey(cursor.through, layout.granularity);
      if (!period) return { text: `through ${cursor.through}` };
      const folder = formatPeriod(layout, period);
      return {
        text: `through ${folder} (every ${layout.granularity} up to its end is done)`,
        time: new Date(periodClosesAt(period, options.timezone, 0)).toISOString(),
      };
    },
  },
});

/** The factory for `recsync.config.ts`: `strategy: dateFolders({ layout: '{yyyy}/{MM}/{dd}' })`. */
export function dateFolders(options: DateFoldersOptions = {}): StrategyRef {
  return useStrategy(dateStrategy, options);
}

const KEY_EXAMPLES: Record<Granularity, string> = {
  year: '2026',
  month: '2026-11',
  day: '2026-11-25',
  hour: '2026-11-25T13',
};

interface SkipCounts extends WalkSkipCounts {
  /** Partition folders that are symlinks, not followed. */
  partitionLinks: number;
}

/**
 * One job's instance. Keeps counters for {@link DateFolders.describe}; otherwise stateless between
 * calls.
 */
class DateFolders implements StrategyInstance<DateCursor> {
  private readonly layout: Layout;
  private readonly start?: Period;
  private discovery?: DiscoveryCounts;
  private readonly skipped: SkipCounts = { symlinks: 0, outside: 0, special: 0, partitionLinks: 0 };
  private lastRequest: { through?: string; selection?: Selection } = {};
  readonly features: StrategyInstanceFeatures<DateCursor> = {
    describe: () => this.describe(),
    partitionStart: (id) => this.partitionStart(id),
    futureCursor: (cursor, now) => this.futureCursor(cursor, now),
  };

  constructor(
    private readonly options: ResolvedDateOptions,
    private readonly context: StrategyContext,
  ) {
    this.layout = compileLayout(options.layout);
    const start =
      options.start === undefined ? undefined : parseDateInput(options.start, this.layout);
    this.start = start && firstCoveredPeriod(start, this.layout.granularity);
  }

  async *partitions(request: PartitionsRequest<DateCursor>): AsyncGenerator<Partition> {
    const current = periodContaining(request.now, this.layout.granularity, this.options.timezone);
    const selection = await this.select(request, current);
    this.lastRequest = { through: request.range ? undefined : request.cursor?.through, selection };
    if (!selection) return;
    const nowMs = request.now.getTime();
    for (const period of periodsBetween(selection.first, selection.last)) {
      if (request.signal.aborted) return;
      // The current period is never closed, whatever the clock says (guards odd zone transitions).
      const closed =
        comparePeriods(period, current) < 0 &&
        nowMs >= periodClosesAt(period, this.options.timezone, this.options.grace);
      const recheck =
        selection.recheckThrough !== undefined &&
        comparePeriods(period, selection.recheckThrough) <= 0;
      yield this.partition(period, { closed, recheck, signal: request.signal });
    }
  }

  /**
   * Called for closed partitions in order. Returns the later of the cursor and the partition's
   * period, so a re-checked partition leaves the cursor where it is. An open partition (which
   * the engine never passes) leaves it unchanged too: rule 3 holds even if a caller slips.
   */
  advance(cursor: DateCursor | undefined, partition: DonePartition): DateCursor | undefined {
    if (!partition.closed) return cursor;
    const period = parseFolderPath(this.layout, partition.id);
    if (!period) {
      throw new RecsyncError('E_PARTITION', {
        message:
          `partition ${JSON.stringify(partition.id)} does not fit layout ` +
          `${JSON.stringify(this.layout.text)}`,
        hint: 'advance() only accepts partitions this strategy yielded.',
      });
    }
    const through = cursor && this.readCursor(cursor);
    if (through && comparePeriods(through, period) >= 0) return cursor;
    return { through: periodKey(period) };
  }

  /**
   * The instant a partition's period begins in the layout's timezone (Object Lock `from:
   * 'partition'`).
   */
  partitionStart(id: string): Date | undefined {
    const period = parseFolderPath(this.layout, id);
    return period ? periodStart(period, this.options.timezone).toJSDate() : undefined;
  }

  /**
   * The cursor names the last completed period; the current period can never be completed (it
   * closes only after it ended), so a cursor at or after it was written by a clock that ran
   * ahead, or edited.
   */
  futureCursor(cursor: DateCursor, now: Date): string | undefined {
    const through = this.readCursor(cursor);
    const current = periodContaining(now, this.layout.granularity, this.options.timezone);
    if (comparePeriods(through, current) < 0) return undefined;
    return (
      `it says ${cursor.through} is complete, but the current ${this.layout.granularity} in ` +
      `${this.options.timezone} is ${periodKey(current)}`
    );
  }

  describe(): Record<string, string | number | boolean> {
    const { layout, timezone, lookback, grace } = this.options;
    const facts: Record<string, string | number | boolean> = {
      layout,
      timezone,
      granularity: this.layout.granularity,
      lookback,
      grace: formatDuration(grace),
    };
    if (this.start) facts.start = periodKey(this.start);
    const { through, selection } = this.lastRequest;
    if (through) facts.through = through;
    if (selection)
      Object.assign(facts, { from: periodKey(selection.first), until: periodKey(selection.last) });
    if (this.discovery) {
      const { ignoredFolders, ignoredFiles, skippedSymlinks } = this.discovery;
      Object.assign(facts, { ignoredFolders, ignoredFiles, skippedSymlinks });
    }
    const { symlinks, outside, special, partitionLinks } = this.skipped;
    if (symlinks + partitionLinks > 0) facts.skippedFileSymlinks = symlinks + partitionLinks;
    if (outside > 0) facts.skippedOutsideSource = outside;
    if (special > 0) facts.skippedSpecialFiles = special;
    return facts;
  }

  private async select(
    request: PartitionsRequest<DateCursor>,
    current: Period,
  ): Promise<Selection | undefined> {
    if (request.range) {
      const bounds = parseRangeBounds(request.range, this.layout, this.options.timezone);
      const defaultSince = bounds.since
        ? undefined
        : (this.start ?? (await this.discover(request.signal)));
      return rangeSelection(bounds, current, defaultSince);
    }
    if (request.cursor)
      return cursorSelection(this.readCursor(request.cursor), current, this.options.lookback);
    return firstRunSelection(this.start ?? (await this.discover(request.signal)), current);
  }

  /**
   * A saved cursor of another granularity cannot be read under this layout: refuse rather than
   * guess.
   */
  private readCursor(cursor: DateCursor): Period {
    const through = parsePeriodKey(cursor.through, this.layout.granularity);
    if (!through) {
      throw new RecsyncError('E_STATE_MISMATCH', {
        message:
          `the saved cursor "${cursor.through}" does not name one ${this.layout.granularity} ` +
          `(like "${KEY_EXAMPLES[this.layout.granularity]}"), which layout ` +
          `${JSON.stringify(this.layout.text)} needs`,
        hint: "Reset this job's state, and set `start` to choose where the next run begins.",
      });
    }
    return through;
  }

  private async discover(signal: AbortSignal): Promise<Period | undefined> {
    const { source, followSymlinks } = this.context;
    const { earliest, counts } = await discoverEarliest({
      source,
      layout: this.layout,
      followSymlinks,
      signal,
    });
    this.discovery = counts;
    const ignored = counts.ignoredFolders + counts.ignoredFiles + counts.skippedSymlinks;
    if (ignored > 0) {
      this.context.warn(
        `${ignored} entr${ignored === 1 ? 'y' : 'ies'} in ${source} do not fit layout ` +
          `${JSON.stringify(this.layout.text)} ` +
          `and are not synced (${counts.ignoredFolders} folder(s), ${counts.ignoredFiles} ` +
          'file(s), ' +
          `${counts.skippedSymlinks} symlink(s); e.g. ${counts.examples.join(', ')})`,
      );
    }
    return earliest;
  }

  private partition(
    period: Period,
    flags: { closed: boolean; recheck: boolean; signal: AbortSignal },
  ): Partition {
    const id = formatPeriod(this.layout, period);
    const dir = path.join(this.context.source, ...id.split('/'));
    return {
      id,
      dir,
      prefix: `${id}/`,
      closed: flags.closed,
      recheck: flags.recheck,
      files: (options) => this.files(id, dir, flags.signal, options?.onFolder),
    };
  }

  /**
   * The files below the partition folder (subfolders included); a missing folder is an empty
   * partition.
   */
  private async *files(
    id: string,
    dir: string,
    signal: AbortSignal,
    onFolder?: FolderSink,
  ): AsyncGenerator<FileCandidate> {
    if (!(await this.isWalkable(id))) {
      onFolder?.('', undefined); // no folder (yet): nothing to record
      return;
    }
    yield* walkFiles(dir, {
      source: this.context.source,
      followSymlinks: this.context.followSymlinks,
      signal,
      onFolder,
      onSkipped: (counts) => {
        this.skipped.symlinks += counts.symlinks;
        this.skipped.outside += counts.outside;
        this.skipped.special += counts.special;
        const parts = [
          counts.special ? `${counts.special} special file(s) (FIFO, socket, device)` : '',
          counts.symlinks
            ? `${counts.symlinks} symlink(s) not followed (followSymlinks is off, or dangling)`
            : '',
          counts.outside ? `${counts.outside} symlink(s) leading outside the source` : '',
        ].filter(Boolean);
        if (parts.length > 0)
          this.context.warn(
            `partition ${id}: skipped ${parts.join(', ')}: not regular files inside the ` +
              'source, so not backed up',
          );
      },
    });
  }

  /**
   * Whether the folders of a partition path exist as real folders. Checked level by level so a
   * symlinked date folder obeys `followSymlinks` like any other link (opening it would follow
   * it silently), and a file where a folder belongs is not mistaken for an unreadable folder.
   * Any other error is thrown as an incomplete walk: the partition must not count as done.
   */
  private async isWalkable(id: string): Promise<boolean> {
    let abs = this.context.source;
    for (const name of id.split('/')) {
      abs = path.join(abs, name);
      const stats = await lstat(abs).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
        throw new IncompleteWalkError([{ dir: abs, error: error.code ?? String(error) }]);
      });
      if (!stats) return false;
      if (stats.isSymbolicLink()) {
        if (!(await this.linkIsWalkable(id, abs))) return false;
      } else if (!stats.isDirectory()) {
        this.context.warn(
          `${abs} is not a folder, so it belongs to no partition and is not synced`,
        );
        return false;
      }
    }
    return true;
  }

  /**
   * A followed link must lead to a folder inside the source; an unfollowed one is skipped and
   * counted.
   */
  private async linkIsWalkable(id: string, abs: string): Promise<boolean> {
    if (!this.context.followSymlinks) {
      this.skipped.partitionLinks++;
      this.context.warn(
        `${abs} (partition ${id}) is a symlink and followSymlinks is off: not synced`,
      );
      return false;
    }
    const target = await followLink(await realpath(this.context.source), abs);
    if (target?.inside && (await stat(target.real)).isDirectory()) return true;
    this.skipped.outside++;
    this.context.warn(
      `${abs} (partition ${id}) is a symlink that does not lead to a folder inside the ` +
        'source: not synced',
    );
    return false;
  }
}
