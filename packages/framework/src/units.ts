/**
 * Durations and sizes as people write them in configs.
 *
 * Durations: `ms` syntax with a unit (`90s`, `5m`, `1h`, `2d`, `1.5h`), or `0`. A bare number
 * is refused because its unit would be a guess. Sizes: `bytes-iec` syntax, IEC units are
 * powers of 1024 (`16MiB`), SI units powers of 1000 (`16MB`); a bare number is bytes.
 */
import ms from 'ms';
import bytes from 'bytes-iec';
import { z } from 'zod';

export function parseDuration(value: string | number): number | undefined {
  if (value === 0 || value === '0') return 0;
  if (typeof value !== 'string' || !/[a-z]\s*$/i.test(value.trim())) return undefined;
  const parsed = ms(value.trim() as ms.StringValue);
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const parsed = bytes.parse(value.trim());
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0
    ? Math.floor(parsed)
    : undefined;
}

/**
 * A rate in bytes per second: `50MiB/s`, `10MB/s`, `512KiB/s`, or a number (bytes per second).
 * The `/s` is required on strings, so a size is never mistaken for a rate.
 */
export function parseBandwidth(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  const match = /^(.+?)\s*\/\s*s$/i.exec(value.trim());
  if (!match) return undefined;
  const size = parseSize(match[1]!);
  return size !== undefined && size > 0 ? size : undefined;
}

export function formatBytes(n: number): string {
  return bytes.format(n, { mode: 'binary', decimalPlaces: 1 }) ?? `${n} B`;
}

/** Exact short form: the largest unit that divides the value (`90m`, not `2h`). */
export function formatDuration(msValue: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const value = Math.round(msValue);
  if (value === 0) return '0';
  for (const [unit, size] of units) if (value % size === 0) return `${value / size}${unit}`;
  return `${value}ms`;
}

/** zod: a duration string (`5m`) → milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    ctx.addIssue({
      code: 'custom',
      // The value itself is shown by whoever reports the issue (config problems add "; got …").
      message: 'expected a duration with a unit such as "90s", "5m", "1h" or "2d" (or 0)',
    });
    return z.NEVER;
  }
  return parsed;
});

/** zod: a size (`16MiB`, `5MB`, or a number of bytes) → bytes. */
export const sizeSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const parsed = parseSize(value);
  if (parsed === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected a size such as "16MiB", "100MB" or a number of bytes',
    });
    return z.NEVER;
  }
  return parsed;
});

/** zod: a bandwidth (`50MiB/s`) → bytes per second. */
export const bandwidthSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const parsed = parseBandwidth(value);
  if (parsed === undefined) {
    ctx.addIssue({
      code: 'custom',
      message:
        'expected a rate such as "50MiB/s", "10MB/s" or a number of bytes per second, got ' +
        `${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return parsed;
});
