/**
 * The text of the live progress line, from a progress snapshot (counted by the framework) and
 * a rate measured over the last seconds. Pure, so it is tested without a terminal.
 *
 * While the partition being read is still listing: counts (files found so far, to upload,
 * uploaded, failed) and the rate. Once every partition read so far has been listed: percentage of
 * the bytes to upload, files done of the total, rate and ETA. Uploads pull the listing (it never
 * runs far ahead: nothing is held in memory), so a partition's total is known near its end.
 */
import type { ProgressSnapshot } from '@recsync/framework/internal';
import { formatBytes } from './format.js';

export interface RateSample {
  readonly at: number;
  readonly bytes: number;
}

/** Bytes per second over the samples' window (oldest to newest); undefined until measurable. */
export function rateOf(samples: readonly RateSample[]): number | undefined {
  if (samples.length < 2) return undefined;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const seconds = (last.at - first.at) / 1000;
  return seconds >= 1 ? (last.bytes - first.bytes) / seconds : undefined;
}

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const count = (n: number) => n.toLocaleString('en-US');

function bar(fraction: number, width: number): string {
  const full = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

export function progressLine(s: ProgressSnapshot, rate: number | undefined, width = 100): string {
  const where =
    s.partition === undefined
      ? 'starting'
      : s.partition === 'pending'
        ? 'pending retries'
        : s.partition;
  const failed = s.failed > 0 ? ` · failed ${count(s.failed)}` : '';
  const speed = rate !== undefined ? ` · ${formatBytes(rate)}/s` : '';
  if (s.discovering || s.toUpload.files === 0) {
    const uploaded =
      s.uploaded.files > 0
        ? ` · uploaded ${count(s.uploaded.files)} (${formatBytes(s.uploaded.bytes)})`
        : '';
    return fit(
      `${where} · listing: ${count(s.found)} files found, ${count(s.toUpload.files)} to ` +
        `upload${uploaded}${speed}${failed}`,
      width,
    );
  }
  const total = s.toUpload.bytes;
  const fraction = total > 0 ? s.processed.bytes / total : s.processed.files / s.toUpload.files;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const eta = rate && rate > 0 ? ` · ETA ${formatEta((total - s.processed.bytes) / rate)}` : '';
  const files = `${count(s.processed.files)}/${count(s.toUpload.files)} files`;
  const bytes = `${formatBytes(s.processed.bytes)}/${formatBytes(total)}`;
  return fit(
    `${where} ${bar(fraction, 20)} ${pct} · ${files} · ${bytes}${speed}${eta}${failed}`,
    width,
  );
}

/** Never wider than the terminal: a wrapped line would break the redraw. */
function fit(text: string, width: number): string {
  return text.length <= width - 1 ? text : `${text.slice(0, Math.max(0, width - 2))}…`;
}
