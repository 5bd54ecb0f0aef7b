/**
 * A sync that could not start because the target failed its preflight (credentials, bucket,
 * endpoint: exit 4) is still a run worth remembering: status and the metrics file must show
 * that the last attempt failed, not the last run that got through. Usage errors and a held
 * lock are not recorded (nothing ran; another run may be writing this state), nor is a job's
 * very first run (no state exists to record it in).
 */
import { isRecsyncError } from '../errors.js';
import type { ResolvedJob } from '../config/resolve.js';
import { failedStartRecord } from './history.js';
import { JobState } from './store.js';

export async function recordFailedStart(
  job: ResolvedJob,
  startedAt: string,
  error: unknown,
): Promise<void> {
  if (!isRecsyncError(error) || error.errorClass !== 'fatal' || error.code === 'E_STATE_WRITE')
    return;
  try {
    const state = await JobState.load(job);
    // No state yet: nothing to attach the run to, and a state written now would tie a config
    // that may be wrong (a misspelt bucket) to its fingerprint.
    if (!state.exists) return;
    state.recordRun(
      failedStartRecord(
        startedAt,
        { code: error.code, message: error.message, exitCode: error.exitCode },
        state.pending.size,
      ),
    );
    await state.save();
  } catch {
    // The run's own error is what the user must see; a state that cannot be written says so
    // next time.
  }
}
