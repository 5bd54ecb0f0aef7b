/**
 * Which periods a run covers: pure decisions, no I/O and no clock (the current period is given).
 *
 * Every selection is a contiguous run of periods, oldest first, ending at the latest at the
 * current period: periods that have not begun are never selected.
 *
 * - First run: from `start` (or the oldest folder found) through the current period.
 * - Later runs, cursor at P: the last `lookback` completed periods (P−lookback+1 … P, re-checks),
 *   then P+1 … the current period. Everything after the cursor is covered, however many runs
 *   were missed (catch-up).
 * - `--since/--until`: that range, inclusive, ignoring the cursor.
 */
import { RecsyncError, type RangeRequest } from '@recsync/framework';
import {
  DATE_INPUT_FORMS,
  firstCoveredPeriod,
  lastCoveredPeriod,
  parseDateInput,
} from './input.js';
import type { Layout } from './layout.js';
import {
  comparePeriods,
  makePeriod,
  nextPeriod,
  periodKey,
  shiftPeriod,
  type Granularity,
  type Period,
} from './period.js';

export interface Selection {
  readonly first: Period;
  /** Inclusive. */
  readonly last: Period;
  /** Periods up to and including this one were completed before and are re-checked. */
  readonly recheckThrough?: Period;
}

const earlier = (a: Period, b: Period): Period => (comparePeriods(a, b) <= 0 ? a : b);

/**
 * The first period of year 1: a look-back never reaches before it (no folder can be named there).
 */
function calendarStart(granularity: Granularity): Period {
  return makePeriod(granularity, { year: 1, month: 1, day: 1, hour: 0 })!;
}

/**
 * A later run: re-check the last `lookback` completed periods, then everything after the cursor.
 */
export function cursorSelection(
  through: Period,
  current: Period,
  lookback: number,
): Selection | undefined {
  const floor = calendarStart(through.granularity);
  const back = lookback > 0 ? shiftPeriod(through, -(lookback - 1)) : nextPeriod(through);
  const first = Number.isNaN(back.year) || comparePeriods(back, floor) < 0 ? floor : back;
  if (comparePeriods(first, current) > 0) return undefined;
  return lookback > 0
    ? { first, last: current, recheckThrough: earlier(through, current) }
    : { first, last: current };
}

/**
 * A first run: from `first` (the `start` option or the oldest folder) through the current period.
 */
export function firstRunSelection(
  first: Period | undefined,
  current: Period,
): Selection | undefined {
  if (!first || comparePeriods(first, current) > 0) return undefined;
  return { first, last: current };
}

/** `--since/--until` as periods of the layout's granularity; either may be absent. */
export interface RangeBounds {
  readonly since?: Period;
  readonly until?: Period;
}

/** Reads `--since/--until`; a value that is not a date is a usage error (exit 2). */
export function parseRangeBounds(range: RangeRequest, layout: Layout, zone: string): RangeBounds {
  const read = (flag: 'since' | 'until'): Period | undefined => {
    const text = range[flag];
    if (text === undefined) return undefined;
    const input = parseDateInput(text, layout);
    if (!input) {
      throw new RecsyncError('E_USAGE', {
        message: `--${flag} ${JSON.stringify(text)} is not a date`,
        hint: `Use ${DATE_INPUT_FORMS}; it is read in the layout's timezone (${zone}).`,
      });
    }
    return flag === 'since'
      ? firstCoveredPeriod(input, layout.granularity)
      : lastCoveredPeriod(input, layout.granularity);
  };
  return { since: read('since'), until: read('until') };
}

/**
 * The periods of a range. `defaultSince` stands in for a missing `--since` (the `start` option
 * or the oldest folder); without either there is nothing to select. A `--until` in the future
 * is cut at the current period; a `--since` in the future, or after `--until`, is a usage error.
 */
export function rangeSelection(
  bounds: RangeBounds,
  current: Period,
  defaultSince: Period | undefined,
): Selection | undefined {
  const { since, until } = bounds;
  if (since && until && comparePeriods(since, until) > 0) {
    throw new RecsyncError('E_USAGE', {
      message: `--since ${periodKey(since)} is after --until ${periodKey(until)}`,
      hint: 'Swap them, or leave --until out to run through the current period.',
    });
  }
  if (since && comparePeriods(since, current) > 0) {
    throw new RecsyncError('E_USAGE', {
      message: `--since ${periodKey(since)} is after the current period ${periodKey(current)}`,
      hint: 'Periods that have not begun hold no files yet; pick a --since in the past.',
    });
  }
  const first = since ?? defaultSince;
  const last = until ? earlier(until, current) : current;
  if (!first || comparePeriods(first, last) > 0) return undefined;
  return { first, last };
}
