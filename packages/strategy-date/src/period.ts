/**
 * Periods: the wall-clock units a date layout names (a year, a month, a day or an hour).
 *
 * A period is a *label* (`2026-11-01T01`), not an interval of instants: calendar arithmetic
 * (next, previous, distance) runs on the labels in UTC, where every day has 24 hours, so it is
 * the same in every timezone. Only the questions "which period is `now` in?" and "when does
 * this period close?" involve the layout's timezone, and they are answered here too.
 *
 * Guarantees: periods of one granularity are totally ordered by {@link comparePeriods}, which
 * agrees with the order of their canonical keys and of their folder names; walking with
 * {@link nextPeriod} visits every label exactly once, including the hour of a spring-forward gap
 * (which no clock shows) and, once, an hour a fall-back shows twice.
 */
import { DateTime } from 'luxon';

export type Granularity = 'year' | 'month' | 'day' | 'hour';

/** Coarse to fine; the index is a granularity's rank. */
export const GRANULARITIES: readonly Granularity[] = ['year', 'month', 'day', 'hour'];

/** One period. Fields finer than `granularity` hold their first value (month 1, day 1, hour 0). */
export interface Period {
  readonly granularity: Granularity;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
}

/** Wall-clock fields as read from a folder name or a typed date; any prefix may be present. */
export interface PeriodFields {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
}

export function granularityRank(granularity: Granularity): number {
  return GRANULARITIES.indexOf(granularity);
}

/**
 * Builds a period, or undefined when the fields name no real calendar period (month 13, 30
 * February).
 */
export function makePeriod(granularity: Granularity, fields: PeriodFields): Period | undefined {
  const rank = granularityRank(granularity);
  const period: Period = {
    granularity,
    year: fields.year ?? NaN,
    month: rank >= 1 ? (fields.month ?? NaN) : 1,
    day: rank >= 2 ? (fields.day ?? NaN) : 1,
    hour: rank >= 3 ? (fields.hour ?? NaN) : 0,
  };
  const check = DateTime.utc(period.year, period.month, period.day, period.hour);
  // luxon refuses most out-of-range fields (day 31 in April) but reads hour 24 as the next
  // midnight: only a period whose fields survive the round trip is real.
  const real =
    check.isValid &&
    period.year >= 1 &&
    check.year === period.year &&
    check.month === period.month &&
    check.day === period.day &&
    check.hour === period.hour;
  return real ? period : undefined;
}

/**
 * True when the given leading fields are a valid calendar prefix (used while descending nested
 * folders).
 */
export function fieldsAreValid(fields: PeriodFields): boolean {
  const finest = GRANULARITIES.filter((g) => fields[g] !== undefined).at(-1);
  return finest !== undefined && makePeriod(finest, fields) !== undefined;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * The canonical, layout-independent key of a period: `2026`, `2026-11`, `2026-11-25`,
 * `2026-11-25T13`. Cursors store this form, so a cursor does not depend on the folder layout's
 * fixed text. Keys of one granularity sort like their periods.
 */
export function periodKey(period: Period): string {
  const rank = granularityRank(period.granularity);
  let key = pad(period.year, 4);
  if (rank >= 1) key += `-${pad(period.month, 2)}`;
  if (rank >= 2) key += `-${pad(period.day, 2)}`;
  if (rank >= 3) key += `T${pad(period.hour, 2)}`;
  return key;
}

const KEY_PATTERN = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}))?)?)?$/;

/** Parses a canonical key; undefined when it is malformed or of another granularity. */
export function parsePeriodKey(key: string, granularity: Granularity): Period | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const present = match.slice(1).filter((part) => part !== undefined).length;
  if (present !== granularityRank(granularity) + 1) return undefined;
  const [year, month, day, hour] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  return makePeriod(granularity, { year, month, day, hour });
}

/** Orders two periods of the same granularity: negative, zero or positive. */
export function comparePeriods(a: Period, b: Period): number {
  return a.year - b.year || a.month - b.month || a.day - b.day || a.hour - b.hour;
}

/** The period `count` steps after (or, negative, before) `period`, in calendar terms. */
export function shiftPeriod(period: Period, count: number): Period {
  const shifted = labelInstant(period).plus({ [`${period.granularity}s`]: count });
  return fromDateTime(shifted, period.granularity);
}

export function nextPeriod(period: Period): Period {
  return shiftPeriod(period, 1);
}

/**
 * Every period from `first` through `last` inclusive, oldest first, one at a time. Lazy on
 * purpose: ten years of hours is 87,600 periods, and only the caller decides how many it needs.
 */
export function* periodsBetween(first: Period, last: Period): Generator<Period> {
  for (let p = first; comparePeriods(p, last) <= 0; p = nextPeriod(p)) yield p;
}

/** The period of `granularity` whose label the wall clock in `zone` shows at `instant`. */
export function periodContaining(instant: Date, granularity: Granularity, zone: string): Period {
  return fromDateTime(DateTime.fromJSDate(instant, { zone }), granularity);
}

/**
 * The instant a period begins in `zone`. Labels a clock never shows (the hour skipped at a
 * spring-forward) begin where the clock resumes; a label shown twice (fall-back) resolves as
 * luxon does, to its later occurrence. Only {@link periodClosesAt} relies on this, through the
 * start of the *next* period.
 */
export function periodStart(period: Period, zone: string): DateTime {
  return DateTime.fromObject(
    { year: period.year, month: period.month, day: period.day, hour: period.hour },
    { zone },
  );
}

/**
 * Milliseconds since the epoch from which the period counts as closed: the start of the next
 * period plus `graceMs`. Using the next period's start (rather than "start + 1 hour") is what
 * makes an hour shown twice at a fall-back close only after its second occurrence, and a day
 * with a 23- or 25-hour clock close at its real midnight.
 */
export function periodClosesAt(period: Period, zone: string, graceMs: number): number {
  return periodStart(nextPeriod(period), zone).toMillis() + graceMs;
}

/**
 * The period with the same leading fields at another granularity (truncates, or takes the first
 * sub-period).
 */
export function toGranularity(period: Period, granularity: Granularity): Period {
  return fromDateTime(labelInstant(period), granularity);
}

/** The last period of `granularity` inside `period` (which is coarser or equal). */
export function lastSubPeriod(period: Period, granularity: Granularity): Period {
  return shiftPeriod(toGranularity(nextPeriod(period), granularity), -1);
}

/** A period's label as a UTC DateTime: calendar arithmetic without DST. */
function labelInstant(period: Period): DateTime {
  return DateTime.utc(period.year, period.month, period.day, period.hour);
}

function fromDateTime(dt: DateTime, granularity: Granularity): Period {
  const rank = granularityRank(granularity);
  return {
    granularity,
    year: dt.year,
    month: rank >= 1 ? dt.month : 1,
    day: rank >= 2 ? dt.day : 1,
    hour: rank >= 3 ? dt.hour : 0,
  };
}
