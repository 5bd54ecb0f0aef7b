/**
 * What a run did before a fatal target error stopped it, appended to that error: "nothing was
 * changed" is only said when it is true.
 */
import { RecsyncError } from '../errors.js';
import type { OutcomeCounts } from '../events.js';
import { formatBytes } from '../units.js';

export function withProgress(
  error: RecsyncError,
  counts: OutcomeCounts,
  partitions: { total: number; complete: number },
): RecsyncError {
  const uploaded = counts.uploaded.files;
  const done =
    uploaded === 0 && partitions.complete === 0
      ? 'Before that, this run uploaded nothing and completed no partition.'
      : `Before that, this run uploaded ${uploaded} file(s) ` +
        `(${formatBytes(counts.uploaded.bytes)}) and completed ${partitions.complete} ` +
        'partition(s); ' +
        'the cursor and pending set were saved up to there.';
  return new RecsyncError(error.code, {
    message:
      `${error.message}\n${done} No file was marked pending because of the target; the ` +
      'next run picks up the rest.',
    ...(error.hint ? { hint: error.hint } : {}),
    cause: error.cause ?? error,
  });
}
