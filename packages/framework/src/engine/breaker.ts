/**
 * The failure breaker of the upload stage. Upload failures since the last success may be the
 * target's fault, not the files': they are held back (no outcome yet) until an upload succeeds
 * again, which shows they were the files' own failures. Many in a row with no success stop the
 * run with `E_TARGET_FAILING`; a run that turns fatal drops what it holds, so those files'
 * partitions are not done and the next run finds them again instead of the pending set filling
 * with the target's failures. Bounded by the streak that stops the run.
 */
import { RecsyncError } from '../errors.js';
import type { PlanFile } from './plan.js';
import type { UploadResult } from './upload.js';

type Failed = Extract<UploadResult, { outcome: 'failed' }>;

export class FailureBreaker {
  private streak = 0;
  private held: { item: PlanFile; result: Failed }[] = [];

  /** `limit`: failures in a row that stop the run. */
  constructor(private readonly limit: number) {}

  /** Counts an upload's result; returns the error that stops the run when the streak trips. */
  track(result: UploadResult): RecsyncError | undefined {
    if (result.outcome === 'uploaded') this.streak = 0;
    else if (result.outcome === 'failed' && result.error.code === 'E_FILE_UPLOAD') {
      this.streak++;
      if (this.streak >= this.limit) {
        return new RecsyncError('E_TARGET_FAILING', {
          message: `${this.streak} uploads in a row failed after retries (last: ${result.reason})`,
          hint: 'the target looks down or overloaded; nothing was lost, the next run retries',
        });
      }
    }
    return undefined;
  }

  /** Holds an upload failure that may be the target's; false when the result is not one. */
  hold(item: PlanFile, result: UploadResult): boolean {
    if (result.outcome !== 'failed' || result.error.code !== 'E_FILE_UPLOAD') return false;
    this.held.push({ item, result });
    return true;
  }

  /** The held failures, now known to be the files' own (the target worked, or the run ended). */
  release(): { item: PlanFile; result: Failed }[] {
    return this.held.splice(0);
  }
}
