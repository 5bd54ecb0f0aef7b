/** `recsync status` as text: per job, the cursor in words, the lock, recent runs, pending files. */
import {
  EXIT_CODES,
  describeOwner,
  type LeaseRecord,
  type RunRecord,
  type StateFile,
} from '@recsync/framework/internal';
import { formatBytes, pad } from './format.js';

export interface JobStatus {
  readonly job: string;
  /** The shard, for a sharded job (one entry per shard). */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly stateFile: string;
  readonly cursorText: string;
  readonly cursorTime?: string;
  readonly lease: LeaseRecord | null;
  readonly state: StateFile | null;
}

export function renderStatus(
  jobs: readonly JobStatus[],
  limits: { pending: number; runs: number },
): string {
  return `${jobs.map((job) => jobLines(job, limits).join('\n')).join('\n\n')}\n`;
}

const RUN_COLUMNS = ['START', 'END', 'EXIT', 'OUTCOME', 'UPLOADED', 'PRESENT', 'FAILED', 'PENDING'];

function jobLines(status: JobStatus, limits: { pending: number; runs: number }): string[] {
  const which = status.shard ? ` shard ${status.shard.index} of ${status.shard.count}` : '';
  const lines = [
    `job ${status.job}${which}: ${status.stateFile}`,
    `  lease: ${leaseText(status.job, status.lease, status.shard)}`,
  ];
  const { state } = status;
  if (!state) return [...lines, '  no state yet: the next sync is a first run'];
  lines.push(`  cursor: ${status.cursorText}`);
  const history = state.history ?? [];
  const lastSuccess =
    state.lastSuccessAt ??
    [...history].reverse().find((r) => r.exitCode === EXIT_CODES.ok)?.finishedAt;
  lines.push(`  last success: ${lastSuccess ?? 'none recorded'}`);
  if (history.length > 0) {
    const shown = history.slice(-limits.runs).reverse();
    lines.push(`  runs (newest first; ${shown.length} of ${history.length} kept; --runs N):`);
    lines.push(`    ${runRow(RUN_COLUMNS)}`);
    for (const run of shown)
      lines.push(
        `    ${runRow(runValues(run))}${
          run.error ? `  ${run.error.code}: ${firstLine(run.error.message)}` : ''
        }`,
      );
    if (shown.some((r) => r.range))
      lines.push('    * a --since/--until run: it did not move the cursor');
  } else if (state.lastRun) {
    const r = state.lastRun;
    lines.push(
      `  last run ${r.startedAt} → ${r.finishedAt}: exit ${r.exitCode}, uploaded ${r.uploaded}`,
    );
  }
  const pending = Object.entries(state.pending);
  lines.push(
    `  pending: ${pending.length} ` +
      `file(s)${pending.length > 0 ? ', retried first by the next sync' : ''}`,
  );
  for (const [path, entry] of pending.slice(0, limits.pending)) {
    lines.push(
      `    ${entry.reason.padEnd(8)} ${path}  (${entry.detail}; ${entry.attempts} ` +
        `attempt(s) since ${entry.firstSeen})`,
    );
  }
  if (pending.length > limits.pending)
    lines.push(`    … and ${pending.length - limits.pending} more (--limit N, or --json)`);
  return lines;
}

const WIDTHS: readonly [number, 'left' | 'right'][] = [
  [24, 'left'],
  [24, 'left'],
  [4, 'right'],
  [11, 'left'],
  [18, 'right'],
  [8, 'right'],
  [7, 'right'],
  [8, 'right'],
];

function runRow(values: readonly (string | number)[]): string {
  return values.map((v, i) => pad(v, WIDTHS[i][0], WIDTHS[i][1])).join(' ');
}

function runValues(run: RunRecord): (string | number)[] {
  const outcome = run.range ? `${run.outcome}*` : run.outcome;
  const uploaded = `${run.uploaded.files} (${formatBytes(run.uploaded.bytes)})`;
  return [
    run.startedAt,
    run.finishedAt,
    run.exitCode,
    outcome,
    uploaded,
    run.present,
    run.failed,
    run.pending,
  ];
}

function leaseText(
  job: string,
  lease: LeaseRecord | null,
  shard?: { index: number; count: number },
): string {
  if (!lease) return 'free';
  const which = shard ? ` --shard ${shard.index}/${shard.count}` : '';
  const unlock = `recsync unlock --job ${job}${which}`;
  return `held by ${describeOwner(lease)} (${unlock} if that run is gone)`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}
