/**
 * Every code recsync reports, and the one map of exit codes.
 *
 * - `E_*` error codes ({@link ERROR_CODES}), each with a class that decides its exit code:
 *   `usage` (config, flags, state that does not match: exit 2), `locked` (exit 3), `fatal` (the
 *   target is unusable: credentials, bucket, endpoint: exit 4), `file` (one file or partition
 *   failed: reported as an event, the file goes to the pending set, exit 1 at the end),
 *   `interrupted` (exit 130), `internal` (a bug: exit 1, state saved). Messages say what
 *   happened and where; `hint` says what to do.
 * - `W_*` warning codes ({@link WARNING_CODES}): a `warning` event; the run goes on and the exit
 *   code does not change.
 * - {@link EXIT_CODES}: every exit number any command uses. No other module writes one.
 */

import { redactText } from './secrets.js';

export const ERROR_CODES = {
  E_CONFIG_INVALID: 'usage',
  E_CONFIG_NOT_FOUND: 'usage',
  E_CONFIG_LOAD: 'usage',
  E_USAGE: 'usage',
  E_STATE_MISMATCH: 'usage',
  E_STATE_CORRUPT: 'usage',
  E_STATE_DIR: 'usage',
  E_STATE_NEWER: 'usage',
  E_SOURCE_MISSING: 'usage',
  E_SOURCE_EMPTY: 'usage',
  E_SOURCE_CHANGED: 'usage',
  E_CURSOR_FUTURE: 'usage',
  /** The shard count differs from the one the saved shard states were written with. */
  E_SHARDS_CHANGED: 'usage',
  /** A strategy that deletes what shards share, with states the shards cannot all see. */
  E_SHARDS_UNSAFE: 'usage',
  /** The bucket state store does not enforce conditional writes. */
  E_STATE_STORE_UNSAFE: 'usage',
  E_LOCKED: 'locked',
  /** A paused run found another run holding its lease: it stops without writing. */
  E_LEASE_LOST: 'locked',
  /** Another run wrote the state object (bucket store) since this run read it. */
  E_STATE_CONFLICT: 'locked',
  E_TARGET: 'fatal',
  E_TARGET_AUTH: 'fatal',
  E_TARGET_BUCKET: 'fatal',
  E_TARGET_UNREACHABLE: 'fatal',
  E_TARGET_FAILING: 'fatal',
  E_STATE_WRITE: 'fatal',
  E_FILE_READ: 'file',
  E_FILE_UPLOAD: 'file',
  /**
   * The store reported a checksum that is not the local file's (kept pending until one verifies).
   */
  E_CHECKSUM_MISMATCH: 'file',
  /** Write-once: another object is already under the key (reported on every run). */
  E_OBJECT_CONFLICT: 'file',
  E_FILE_OUTSIDE_ROOT: 'file',
  E_FILE_SYMLINK_OUT: 'file',
  E_FILE_BAD_PATH: 'file',
  E_FILE_BAD_KEY: 'file',
  E_FOLDER_UNREADABLE: 'file',
  E_WALK_INCOMPLETE: 'file',
  E_PARTITION: 'file',
  E_INTERRUPTED: 'interrupted',
  E_INTERNAL: 'internal',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorClass = (typeof ERROR_CODES)[ErrorCode];
/** The codes a single file (or one partition's listing) fails with: it stays pending, exit 1. */
export type FileErrorCode = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C] extends 'file' ? C : never;
}[ErrorCode];

/** Warnings recsync itself emits (plugins may add their own codes). */
export const WARNING_CODES = {
  /** A strategy's note (its `context.warn`). */
  W_STRATEGY: 'strategy',
  /** A stale lease was taken over. */
  W_STALE_LOCK: 'lease',
  /** A killed run's temp files next to the state were removed. */
  W_LEFTOVER_TEMP: 'lease',
  /**
   * The strategy's `committed()` failed after the cursor was saved (retried after the next move).
   */
  W_COMMITTED: 'strategy',
  /** The source is on another device than last time. */
  W_SOURCE_DEVICE: 'source',
  /** A partition has fewer entries than last time, where the strategy allows it. */
  W_SOURCE_SHRANK: 'source',
  /** The source looks emptied, accepted with `--accept-source-change`. */
  W_SOURCE_EMPTY: 'source',
  /** The source looks replaced, accepted with `--accept-source-change`. */
  W_SOURCE_CHANGED: 'source',
  /** A multipart upload an earlier run left could not be aborted. */
  W_MULTIPART_ABORT: 'multipart',
  /** Multipart uploads an earlier run left were aborted. */
  W_MULTIPART_ABORTED: 'multipart',
  /** The sweep of abandoned multipart uploads under the prefix failed. */
  W_MULTIPART_SWEEP: 'multipart',
  /** Abandoned multipart uploads under the prefix were aborted. */
  W_MULTIPART_SWEPT: 'multipart',
  /** Object Lock asked for, but the retain-until date had already passed (a backfill). */
  W_RETENTION_PAST: 'plugin',
  /** The audit manifest could not be written. */
  W_MANIFEST: 'plugin',
} as const;

export type WarningCode = keyof typeof WARNING_CODES;

/** Every exit number a recsync command uses. */
export const EXIT_CODES = {
  ok: 0,
  /** Some files failed or were refused (they are pending), or verify/restore found problems. */
  filesPending: 1,
  /** A bug: the same number as `filesPending` (the state was saved, nothing is lost). */
  internal: 1,
  usage: 2,
  locked: 3,
  fatal: 4,
  /** A misspelt command off a terminal (the shell's "command not found"). */
  commandNotFound: 127,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

const EXIT_BY_CLASS: Record<ErrorClass, ExitCode> = {
  usage: EXIT_CODES.usage,
  locked: EXIT_CODES.locked,
  fatal: EXIT_CODES.fatal,
  file: EXIT_CODES.filesPending,
  interrupted: EXIT_CODES.interrupted,
  internal: EXIT_CODES.internal,
};

export interface RecsyncErrorDetails {
  message: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

/**
 * Marks a RecsyncError whichever copy of this package made it: a plugin or strategy installed
 * with its own copy of the framework, or the CLI's bundled one, throws errors of another class
 * object, which `instanceof` would not recognise.
 */
const RECSYNC_ERROR = Symbol.for('recsync.error');

export class RecsyncError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;

  /** `x instanceof RecsyncError` holds for a RecsyncError made by any copy of this package. */
  static override [Symbol.hasInstance](value: unknown): value is RecsyncError {
    // biome-ignore lint/complexity/noThisInStatic: a subclass keeps the ordinary prototype check
    if (this !== RecsyncError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[RECSYNC_ERROR] === true &&
      typeof (value as { code?: unknown }).code === 'string'
    );
  }

  constructor(code: ErrorCode, details: RecsyncErrorDetails) {
    super(redactText(details.message), { cause: details.cause });
    this.name = 'RecsyncError';
    this.code = code;
    this.hint = details.hint === undefined ? undefined : redactText(details.hint);
  }

  get errorClass(): ErrorClass {
    return ERROR_CODES[this.code];
  }

  get exitCode(): ExitCode {
    return EXIT_BY_CLASS[this.errorClass];
  }

  get [RECSYNC_ERROR](): true {
    return true;
  }

  /** Plain JSON for `--json` output and event logs. */
  toJSON(): { code: ErrorCode; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** A RecsyncError from any copy of this package (see {@link RecsyncError}'s `instanceof`). */
export function isRecsyncError(error: unknown): error is RecsyncError {
  return error instanceof RecsyncError;
}

/** A short, single-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return redactText(
      code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message,
    );
  }
  return redactText(String(error));
}
