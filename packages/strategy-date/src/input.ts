/**
 * Dates as users type them (`start`, `--since`, `--until`), read as wall-clock labels in the
 * layout's timezone: `2026`, `2026-11`, `2026-11-25`, `2026-11-25T13`, `2026-11-25T13:00`, or a
 * folder path in the layout itself (`rec-20261125`).
 *
 * A date coarser than the layout covers all its sub-periods (`--until 2026-11-25` on an hourly
 * layout runs through hour 23); a finer one is truncated to the period containing it
 * (`--since 2026-11-25T13` on a daily layout is the day 2026-11-25). Minutes are accepted for
 * convenience and only select their hour.
 */
import { parseFolderPath, type Layout } from './layout.js';
import {
  GRANULARITIES,
  granularityRank,
  lastSubPeriod,
  makePeriod,
  toGranularity,
  type Granularity,
  type Period,
} from './period.js';

export const DATE_INPUT_FORMS =
  '2026-11-25, 2026-11-25T13 or 2026-11-25T13:00 (hours), 2026-11 or 2026, or a folder ' +
  'name in the layout';

const INPUT_PATTERN = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2}))?)?)?)?$/;

/**
 * Parses a typed date at its own precision; undefined when it is not one of {@link
 * DATE_INPUT_FORMS}.
 */
export function parseDateInput(text: string, layout: Layout): Period | undefined {
  const trimmed = text.trim();
  const match = INPUT_PATTERN.exec(trimmed);
  if (!match) return parseFolderPath(layout, trimmed);
  const [year, month, day, hour, minute] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  if (minute !== undefined && minute > 59) return undefined;
  const present = [year, month, day, hour].filter((v) => v !== undefined).length;
  const granularity: Granularity = GRANULARITIES[present - 1]!;
  return makePeriod(granularity, { year, month, day, hour });
}

/** The first period of `granularity` that `input` covers (for `start` and `--since`). */
export function firstCoveredPeriod(input: Period, granularity: Granularity): Period {
  return toGranularity(input, granularity);
}

/** The last period of `granularity` that `input` covers (for `--until`, which is inclusive). */
export function lastCoveredPeriod(input: Period, granularity: Granularity): Period {
  return granularityRank(input.granularity) >= granularityRank(granularity)
    ? toGranularity(input, granularity)
    : lastSubPeriod(input, granularity);
}
