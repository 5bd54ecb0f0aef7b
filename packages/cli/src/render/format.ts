/** Small text formatting shared by the renderers. */
import { describeConnection, formatBytes, type RunInfo } from '@recsync/framework/internal';

export { formatBytes };

export function pad(
  value: string | number,
  width: number,
  align: 'left' | 'right' = 'left',
): string {
  const text = String(value);
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

export function targetUrl(info: { bucket: string; prefix: string; endpoint?: string }): string {
  return `s3://${info.bucket}/${info.prefix}${info.endpoint ? ` (${info.endpoint})` : ''}`;
}

/** `via endpoint … (from …), region … (from …)`, or nothing for a run without an S3 target. */
export function connectionLine(info: RunInfo): string {
  return info.connection ? `via ${describeConnection(info.connection)}\n` : '';
}

export function factsLine(facts: Record<string, string | number | boolean>): string {
  return Object.entries(facts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** ` (shard 2 of 8)` for a sharded run, else nothing. */
export function shardText(info: { shard?: { index: number; count: number } }): string {
  return info.shard ? ` (shard ${info.shard.index} of ${info.shard.count})` : '';
}
