/**
 * The run's exit code, decided in one place from how it ended. The numbers are `EXIT_CODES`
 * (../errors.ts): a fatal error's own class decides; a stopped run is `interrupted`; any file,
 * refusal or partition that is still owed makes `filesPending`; otherwise `ok`.
 */
import { EXIT_CODES, type ExitCode, type RecsyncError } from '../errors.js';

export interface RunEnding {
  readonly fatal?: RecsyncError;
  readonly interrupted: boolean;
  /** Files that failed, paths refused, partitions that could not be fully listed. */
  readonly owed: number;
}

export function exitCodeOf(ending: RunEnding): ExitCode {
  if (ending.fatal) return ending.fatal.exitCode;
  if (ending.interrupted) return EXIT_CODES.interrupted;
  return ending.owed > 0 ? EXIT_CODES.filesPending : EXIT_CODES.ok;
}
