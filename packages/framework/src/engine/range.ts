/**
 * `--since/--until` are read before anything runs: no lock is taken, no state is read or
 * written, no listing starts. A bad value is a usage error (exit 2) and never a recorded run.
 */
import { RecsyncError } from '../errors.js';
import type { ResolvedJob } from '../config/resolve.js';
import type { RangeRequest } from '../strategy.js';

export function checkRange(
  job: ResolvedJob,
  range: RangeRequest | undefined,
  now: Date = new Date(),
): void {
  if (!range) return;
  const { definition, options } = job.strategy;
  const accepted = definition.features?.range;
  if (!accepted) {
    throw new RecsyncError('E_USAGE', {
      message:
        `--since/--until mean nothing to the strategy ${definition.name} ` + `of job "${job.name}"`,
      hint: 'run without a range, or select the job(s) whose strategy takes one with --job',
    });
  }
  accepted.check?.(range, options as never, now);
}
