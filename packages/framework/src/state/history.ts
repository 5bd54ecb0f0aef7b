/**
 * A bounded run history per job, kept in the job's state (optional field, so a state written
 * without it loads as an empty history): the last {@link HISTORY_LIMIT} syncs with their start,
 * end, outcome and counts. `status` shows it; the metrics file reads the latest entry and the
 * last success from it. Plain JSON, newest last.
 */
import type { RunStats } from '../events.js';
import { EXIT_CODES } from '../errors.js';

export const HISTORY_LIMIT = 50;

/** How a run ended, in one word (derived from its exit code). */
export type RunOutcome = 'ok' | 'pending' | 'usage' | 'locked' | 'fatal' | 'interrupted';

export interface RunRecord {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly exitCode: number;
  readonly outcome: RunOutcome;
  readonly uploaded: { files: number; bytes: number };
  readonly present: number;
  readonly excluded: number;
  readonly deferred: number;
  readonly failed: number;
  /** Size of the pending set after the run. */
  readonly pending: number;
  /** Only for a range run (`--since/--until`): it did not move the cursor. */
  readonly range?: { since?: string; until?: string };
  readonly error?: { code: string; message: string };
}

export function outcomeOf(exitCode: number): RunOutcome {
  switch (exitCode) {
    case EXIT_CODES.ok:
      return 'ok';
    case EXIT_CODES.filesPending:
      return 'pending';
    case EXIT_CODES.usage:
      return 'usage';
    case EXIT_CODES.locked:
      return 'locked';
    case EXIT_CODES.interrupted:
      return 'interrupted';
    default:
      return 'fatal';
  }
}

export function runRecordOf(
  stats: RunStats,
  range?: { since?: string; until?: string },
): RunRecord {
  const c = stats.counts;
  return {
    startedAt: stats.startedAt,
    finishedAt: stats.finishedAt,
    exitCode: stats.exitCode,
    outcome: outcomeOf(stats.exitCode),
    uploaded: { files: c.uploaded.files, bytes: c.uploaded.bytes },
    present: c.present.files,
    excluded: c.excluded.files,
    deferred: c.deferred.files,
    failed: c.failed.files,
    pending: stats.pending,
    ...(range ? { range } : {}),
    ...(stats.error ? { error: { code: stats.error.code, message: stats.error.message } } : {}),
  };
}

/** A run that stopped before reading any file (the target failed its preflight). */
export function failedStartRecord(
  startedAt: string,
  error: { code: string; message: string; exitCode: number },
  pending: number,
): RunRecord {
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    exitCode: error.exitCode,
    outcome: outcomeOf(error.exitCode),
    uploaded: { files: 0, bytes: 0 },
    present: 0,
    excluded: 0,
    deferred: 0,
    failed: 0,
    pending,
    error: { code: error.code, message: error.message },
  };
}

/** The history with `record` appended, oldest entries dropped past the limit. Never mutates. */
export function appendRun(
  history: readonly RunRecord[] | undefined,
  record: RunRecord,
  limit = HISTORY_LIMIT,
): RunRecord[] {
  const next = [...(history ?? []), record];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** When the last run that ended with exit 0 finished, if the state remembers one. */
export function lastSuccessOf(
  history: readonly RunRecord[] | undefined,
  remembered?: string,
): string | undefined {
  const fromHistory = [...(history ?? [])]
    .reverse()
    .find((r) => r.exitCode === EXIT_CODES.ok)?.finishedAt;
  if (!fromHistory) return remembered;
  if (!remembered) return fromHistory;
  return Date.parse(fromHistory) >= Date.parse(remembered) ? fromHistory : remembered;
}
