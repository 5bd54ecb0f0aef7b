/**
 * The `mtime` user metadata (`X-Amz-Meta-Mtime`), in rclone's format: decimal seconds since
 * the epoch with up to 9 decimals. recsync writes all 9 (nanoseconds from a bigint stat), so
 * rclone sees the same modification time as the local file system and finds nothing to do.
 *
 * Releases before this one wrote 3 decimals (milliseconds, rounded). A stored value is compared
 * at the precision it was written with — the local time rounded to that many decimals — so
 * objects written by those releases are not uploaded again.
 */

const NS_PER_S = 1_000_000_000n;

/** `1795514400.250000000` from nanoseconds since the epoch. */
export function formatMtime(mtimeNs: bigint): string {
  const negative = mtimeNs < 0n;
  const abs = negative ? -mtimeNs : mtimeNs;
  const seconds = abs / NS_PER_S;
  const fraction = (abs % NS_PER_S).toString().padStart(9, '0');
  return `${negative ? '-' : ''}${seconds}.${fraction}`;
}

/** Parses a stored value: nanoseconds and the number of decimals it was written with. */
export function parseMtime(text: string): { ns: bigint; decimals: number } | undefined {
  const match = /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  const ns = BigInt(whole) * NS_PER_S + BigInt(fraction.padEnd(9, '0') || '0');
  return { ns: sign ? -ns : ns, decimals: fraction.length };
}

/**
 * True when the stored mtime is the local one at the stored precision: within one unit of its
 * last decimal (the old writer rounded a float, so the last digit may be off by one). With 9
 * decimals the match is exact for a bigint stat (`local.ns`); from a float of milliseconds
 * (`stat().mtimeMs`: about 0.25 µs of resolution today) it is to within a microsecond.
 */
export function sameMtime(stored: string | undefined, local: { ms: number; ns?: bigint }): boolean {
  if (stored === undefined) return true; // not written by recsync (or rclone): judged by size
  const parsed = parseMtime(stored);
  if (!parsed) return true; // unreadable metadata: size decides, as for other tools' objects
  const diff = abs((local.ns ?? BigInt(Math.round(local.ms * 1e6))) - parsed.ns);
  if (parsed.decimals < 9) return diff < 10n ** BigInt(9 - parsed.decimals);
  return local.ns !== undefined ? diff === 0n : diff <= 1000n;
}

const abs = (n: bigint) => (n < 0n ? -n : n);
