/**
 * How much of a run happens at once, and how often a request or a file is tried: decided here,
 * from the job's settings, and nowhere else. `concurrency.ts` has the two primitives that apply
 * these numbers (`runPool`, `mapUnordered`).
 *
 * Retries: one layer per level, never one inside the other.
 *
 * - A **request** whose body can be sent again (HEAD, LIST, CreateMultipartUpload, UploadPart
 *   with its part in memory, CompleteMultipartUpload, Abort, the state objects) is retried by the
 *   SDK's standard retry strategy: up to {@link REQUEST_ATTEMPTS} tries, its own classification
 *   (throttling, transient, server errors) and backoff, and its retry quota, which stops retrying
 *   when most requests fail.
 * - A **file** is tried up to `upload.attempts` times by the engine (engine/upload.ts), and only
 *   for what a retried request cannot fix: a PutObject (its body is a stream the SDK cannot
 *   rewind, so it is sent with SDK retries off), a body the store found damaged (`BadDigest`), a
 *   multipart upload the store no longer knows (`NoSuchUpload` after a lost Complete answer), a
 *   checksum that did not verify, a local read error. An error the SDK already retried is not
 *   tried again: a part failing four times fails its file for this run, which the failure breaker
 *   counts and the next run retries first. Throttled PutObjects give their attempt back, at most
 *   {@link MAX_THROTTLED} times per file (the request was fine, the rate was not).
 *
 * Worst case for one file against a store that fails everything: `upload.attempts` PutObjects,
 * or {@link REQUEST_ATTEMPTS} tries of the first multipart request that keeps failing.
 */
import type { ResolvedJob } from './config/resolve.js';

/** Files checked at once in a partition (lstat, filter hooks, HEAD). Cheap I/O: fixed. */
export const CHECK_CONCURRENCY = 32;
/** Partitions whose bucket listing is started ahead of the one being checked. */
export const LISTING_PREFETCH = 3;
/**
 * lstat calls at once while a folder is walked (`fs/walk.ts`'s default `statConcurrency`).
 */
export const WALK_STAT_CONCURRENCY = 32;
/**
 * Journal lines checked at once (an lstat each, and a realpath for a symlink): fewer than a
 * walk, as each check may also resolve links.
 */
export const JOURNAL_STAT_CONCURRENCY = 16;
/**
 * Sockets beyond one per upload in flight: the listings being prefetched, HEADs of the check
 * stage, state and lease writes. A multipart upload's parts queue for a socket of this pool
 * rather than opening `partConcurrency` connections each: the pool bounds connections,
 * `upload.partConcurrency` bounds memory (parts in flight x part size).
 */
export const SOCKET_HEADROOM = 8;
/**
 * Parts in flight across all multipart uploads of a run (each upload still takes at most
 * `upload.partConcurrency` of them). Without this cap every large file in flight held its own
 * `partConcurrency` parts: 8 files x 4 parts = 32 x 8 MiB in memory, and the client's CPU went
 * to the garbage collector and to contention rather than to sending. Measured against the local
 * server with 4 x 128 MiB (bench `--only large`, median of 3, on a loaded 2-core machine): 8 parts
 * in flight instead of 16 took 8.8 s instead of 11.8 s of wall and 2.65 s instead of 3.13 s of
 * CPU, peak RSS 185 MB instead of 253. aws-cli sends at most 10 requests at once by default.
 * One file alone still gets its `partConcurrency`.
 */
export const PART_BUDGET = 8;
/** Tries of one request inside the SDK (its standard retry strategy). */
export const REQUEST_ATTEMPTS = 4;
/** Throttled answers one file may get in a run on top of its attempts. */
export const MAX_THROTTLED = 3;
/**
 * Upload failures in a row with no success that stop the run as `E_TARGET_FAILING`: this many,
 * or one per upload in flight when more run at once (a whole round of failures).
 */
export const FAILURE_STREAK = 20;

export interface RunLimits {
  /** Files uploaded at once (`upload.concurrency`, `--concurrency`). */
  readonly uploads: number;
  /** Files checked at once in a partition. */
  readonly checks: number;
  /** Partition listings started ahead. */
  readonly prefetch: number;
  /** Parts of one multipart upload in flight (`upload.partConcurrency`). */
  readonly partsPerUpload: number;
  /** Parts in flight across all multipart uploads of the run. */
  readonly partBudget: number;
  /** Sockets of the target's connection pool. */
  readonly maxSockets: number;
  /** Tries of one request inside the SDK (requests whose body can be sent again). */
  readonly requestAttempts: number;
  /** Tries of one file within a run by the engine (`upload.attempts`). */
  readonly fileAttempts: number;
  /** Upload failures in a row that stop the run. */
  readonly failureStreak: number;
}

/** The limits of one sync or plan of a job; `concurrency` is a `--concurrency` override. */
export function runLimits(upload: ResolvedJob['upload'], concurrency?: number): RunLimits {
  const uploads = concurrency ?? upload.concurrency;
  return {
    uploads,
    checks: CHECK_CONCURRENCY,
    prefetch: LISTING_PREFETCH,
    partsPerUpload: upload.partConcurrency,
    partBudget: Math.max(PART_BUDGET, upload.partConcurrency),
    maxSockets: uploads + SOCKET_HEADROOM,
    requestAttempts: REQUEST_ATTEMPTS,
    fileAttempts: upload.attempts,
    failureStreak: Math.max(FAILURE_STREAK, uploads),
  };
}
