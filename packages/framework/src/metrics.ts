/**
 * What the metrics file reports for a job, as plain numbers: derived from the job's saved state
 * (its last run, run history, pending set and cursor), so a file written after a run of one
 * job still reports every other job of the config as its state stands. Rendering the numbers in
 * the Prometheus text format is the CLI's part.
 */
import { EXIT_CODES } from './errors.js';
import type { ResolvedJob } from './config/resolve.js';
import { describeCursor } from './cursor-text.js';
import { lastSuccessOf } from './state/history.js';
import type { StateFile } from './state/store.js';

export interface JobMetrics {
  readonly job: string;
  /** Seconds since the epoch; absent when the job never ran. */
  readonly lastRunStart?: number;
  readonly lastRunEnd?: number;
  readonly lastSuccess?: number;
  readonly exitCode?: number;
  readonly uploadedFiles?: number;
  readonly uploadedBytes?: number;
  readonly presentFiles?: number;
  readonly failedFiles?: number;
  readonly pendingFiles: number;
  /** The time the cursor stands for (strategies that have one), and its age at `now`. */
  readonly cursorTimestamp?: number;
  readonly cursorAgeSeconds?: number;
}

const seconds = (iso: string | undefined) =>
  iso === undefined || Number.isNaN(Date.parse(iso)) ? undefined : Date.parse(iso) / 1000;

export function jobMetrics(
  job: Pick<ResolvedJob, 'name' | 'strategy'>,
  state: StateFile | undefined,
  now: Date,
): JobMetrics {
  if (!state) return { job: job.name, pendingFiles: 0 };
  const last = state.history?.at(-1);
  const cursorTime = seconds(describeCursor(job.strategy, state.cursor).time);
  const run = last
    ? {
        lastRunStart: seconds(last.startedAt),
        lastRunEnd: seconds(last.finishedAt),
        exitCode: last.exitCode,
        uploadedFiles: last.uploaded.files,
        uploadedBytes: last.uploaded.bytes,
        presentFiles: last.present,
        failedFiles: last.failed,
      }
    : state.lastRun
      ? {
          lastRunStart: seconds(state.lastRun.startedAt),
          lastRunEnd: seconds(state.lastRun.finishedAt),
          exitCode: state.lastRun.exitCode,
          uploadedFiles: state.lastRun.uploaded,
        }
      : {};
  const lastSuccess = seconds(
    lastSuccessOf(
      state.history,
      state.lastSuccessAt ??
        (state.lastRun?.exitCode === EXIT_CODES.ok ? state.lastRun.finishedAt : undefined),
    ),
  );
  return {
    job: job.name,
    ...run,
    ...(lastSuccess !== undefined ? { lastSuccess } : {}),
    pendingFiles: Object.keys(state.pending ?? {}).length,
    ...(cursorTime !== undefined
      ? {
          cursorTimestamp: cursorTime,
          cursorAgeSeconds: Math.max(0, now.getTime() / 1000 - cursorTime),
        }
      : {}),
  };
}
