/**
 * Points in time as users type them for `start`, `--since` and `--until`: a date-time, or a
 * duration meaning "that long before the run" (`7d` = seven days before the run's clock).
 *
 * A date-time is `2026-11-25`, `2026-11-25T13:00`, `2026-11-25 13:00:05.250`, optionally ending
 * in `Z` or an offset (`+01:00`, `-0500`). Without one it is read in this machine's local time
 * zone, as `find -newermt` and `date -d` read it: file times are instants, and an administrator
 * types the wall clock of the machine that holds the files.
 */
import { parseDuration } from '@recsync/framework';

export const TIME_INPUT_FORMS =
  'a date-time (2026-11-25, 2026-11-25T13:00, 2026-11-25T13:00:00Z or with an offset such ' +
  'as +01:00; ' +
  'local time without one) or a duration meaning that long before the run (7d, 36h, 90m)';

const DATE_TIME = new RegExp(
  [
    String.raw`^(\d{4})-(\d{2})-(\d{2})`, // date
    String.raw`(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?`, // time, seconds, fraction
    String.raw`(Z|[+-]\d{2}(?::?\d{2})?)?$`, // zone
  ].join(''),
  'i',
);

/** Milliseconds since the epoch, or undefined when `text` is neither form. */
export function parseTimeInput(text: string, now: Date): number | undefined {
  const trimmed = text.trim();
  const match = DATE_TIME.exec(trimmed);
  if (match) return parseDateTime(match);
  if (/^\d{4}-/.test(trimmed)) return undefined; // a mistyped date is not a duration
  const duration = parseDuration(trimmed);
  return duration === undefined ? undefined : now.getTime() - duration;
}

function parseDateTime(match: RegExpExecArray): number | undefined {
  const [year, month, day, hour = 0, minute = 0, second = 0] = match
    .slice(1, 7)
    .map((part) => (part === undefined ? undefined : Number(part)));
  const millis = match[7] === undefined ? 0 : Number(match[7].slice(0, 3).padEnd(3, '0'));
  const zone = match[8];
  if (month! < 1 || month! > 12 || day! < 1 || day! > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const fields: [number, number, number, number, number, number, number] = [
    year!,
    month! - 1,
    day!,
    hour,
    minute,
    second,
    millis,
  ];
  if (zone === undefined) {
    const local = new Date(...fields);
    return local.getDate() === day && local.getMonth() === month! - 1 ? local.getTime() : undefined;
  }
  const utc = Date.UTC(...fields);
  if (new Date(utc).getUTCDate() !== day) return undefined; // 2026-02-30
  return utc - offsetMinutes(zone) * 60_000;
}

function offsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}
