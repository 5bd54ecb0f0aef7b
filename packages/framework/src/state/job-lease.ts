/**
 * The lease of one job (`<stateDir>/<job>.lock`): taken by `sync`, `state reset` and
 * `state adopt`, broken by `unlock`. Also owns the state folder's checks: a state folder that
 * is a file, or cannot be created, is a config problem (exit 2), not an unexpected error.
 */
import { mkdir, stat } from 'node:fs/promises';
import type { ResolvedJob } from '../config/resolve.js';
import { describeError, isRecsyncError, RecsyncError } from '../errors.js';
import { removeLeftovers } from './atomic.js';
import { bucketStore } from './bucket.js';
import { leaseBackendOf, type StoreJob } from './documents.js';
import { LEASE_SIDE_FILE } from './lease-file.js';
import {
  acquireLease,
  breakLease,
  type Lease,
  type LeaseBackend,
  type LeaseSnapshot,
} from './lock.js';
import { savedShardStates } from './shards.js';
import { adoptState, lockFilePath, resetState, stateFilePath, type Fingerprint } from './store.js';
import type { Connection } from '../s3/connection.js';

type LeaseJob = StoreJob & Pick<ResolvedJob, 'lease'>;

export interface LeaseOptions {
  /** What takes the lease (`sync`, `state reset`), shown to runs that find it. */
  readonly command: string;
  /**
   * `W_STALE_LOCK`: a stale lease was taken over; `W_LEFTOVER_TEMP`: a killed run's temp files were
   * removed.
   */
  warn(message: string, code: 'W_STALE_LOCK' | 'W_LEFTOVER_TEMP'): void;
  /** Stops waiting for a lease to be judged (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** The lease of a job (and shard): a file in the state folder, or an object in the state bucket. */
export function jobLeaseBackend(job: StoreJob): LeaseBackend {
  return leaseBackendOf(job);
}

/**
 * Takes the job's lease (waiting up to the lease timeout to judge a lease it finds), then
 * removes temp files a killed run left next to the state and the lease.
 */
export async function acquireJobLease(job: LeaseJob, options: LeaseOptions): Promise<Lease> {
  if (job.stateStore.store === 's3') {
    await bucketStore(job).probe(); // a store without conditional writes is refused, every start
    return acquireLease(jobLeaseBackend(job), {
      command: options.command,
      warn: (message) => options.warn(message, 'W_STALE_LOCK'),
      timing: job.lease,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  await ensureStateDir(job.stateDir);
  const warn = (message: string) => options.warn(message, 'W_STALE_LOCK');
  const lease = await acquireLease(jobLeaseBackend(job), {
    command: options.command,
    warn,
    timing: job.lease,
    ...(options.signal ? { signal: options.signal } : {}),
  }).catch((error: unknown) => {
    if (isRecsyncError(error)) throw error;
    throw new RecsyncError('E_STATE_DIR', {
      message:
        `cannot create the lock file in the state folder ${job.stateDir}: ` +
        `${describeError(error)}`,
      hint: 'set stateDir (top level of the config) to a folder the user running recsync can write',
      cause: error,
    });
  });
  // Best effort: a leftover that cannot be removed is only untidy (the next run tries again).
  const removed = [
    ...(await removeLeftovers(stateFilePath(job)).catch(() => [])),
    ...(await removeLeftovers(lockFilePath(job), LEASE_SIDE_FILE).catch(() => [])),
  ];
  if (removed.length > 0) {
    options.warn(
      `removed ${removed.length} temp file(s) left in ${job.stateDir} by an interrupted ` +
        `run: ${removed.join(', ')}`,
      'W_LEFTOVER_TEMP',
    );
  }
  return lease;
}

/** Runs `action` while holding the job's lease. */
export async function withJobLease<T>(
  job: LeaseJob,
  options: LeaseOptions,
  action: (lease: Lease) => Promise<T>,
): Promise<T> {
  const lease = await acquireJobLease(job, options);
  try {
    return await action(lease);
  } finally {
    await lease.release().catch(() => undefined); // never hides the outcome of the action
  }
}

/**
 * `recsync state reset`: moves every state of the job aside (the job run whole and each shard,
 * whatever the shard count), each under its own lease, so a running sync or shard cannot undo it.
 * Returns where the states went (empty: there was none).
 */
export async function resetJobState(
  job: ResolvedJob,
  options: Pick<LeaseOptions, 'warn'>,
): Promise<string[]> {
  const saved = await savedShardStates(job);
  const shards = saved.length > 0 ? saved.map((s) => s.shard) : [null];
  const moved: string[] = [];
  for (const shard of shards) {
    const one: ResolvedJob = { ...job, ...(shard ? { shard } : { shard: undefined }) };
    const backup = await withJobLease(one, { command: 'state reset', ...options }, () =>
      resetState(one),
    );
    if (backup) moved.push(backup);
  }
  return moved;
}

/**
 * `recsync state adopt`: rewrites the fingerprint of every state of the job (the job run whole
 * and each saved shard), each under its own lease. Returns the first state's change and how
 * many states were adopted; undefined when there was none.
 */
export async function adoptJobState(
  job: ResolvedJob,
  options: Pick<LeaseOptions, 'warn'> & { connection?: Connection },
): Promise<{ before: Fingerprint; after: Fingerprint; states: number } | undefined> {
  const { connection, ...lease } = options;
  const saved = await savedShardStates(job);
  const shards = saved.length > 0 ? saved.map((s) => s.shard) : [null];
  let first: { before: Fingerprint; after: Fingerprint } | undefined;
  let states = 0;
  for (const shard of shards) {
    const one: ResolvedJob = { ...job, ...(shard ? { shard } : { shard: undefined }) };
    const result = await withJobLease(one, { command: 'state adopt', ...lease }, () =>
      adoptState(one, connection),
    );
    if (result) states++;
    first ??= result;
  }
  return first ? { ...first, states } : undefined;
}

/** `recsync unlock`: removes the job's lease whoever holds it; returns what was removed. */
export async function unlockJob(job: StoreJob): Promise<LeaseSnapshot | undefined> {
  if (job.stateStore.store === 'local') await assertStateDir(job.stateDir, { create: false });
  return breakLease(jobLeaseBackend(job));
}

/** Creates the state folder if needed; a file in the way or a refused mkdir is exit 2. */
export async function ensureStateDir(dir: string): Promise<void> {
  await assertStateDir(dir, { create: true });
}

async function assertStateDir(dir: string, options: { create: boolean }): Promise<void> {
  try {
    if (options.create) await mkdir(dir, { recursive: true });
    const info = await stat(dir);
    if (info.isDirectory()) return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !options.create) return;
    if (code !== 'EEXIST' && code !== 'ENOTDIR')
      throw stateDirError(
        dir,
        `cannot be created: ${describeError(error)}`,
        'check the permissions of its parent folder, or set stateDir to a writable folder',
      );
  }
  throw stateDirError(
    dir,
    'is not a folder (a file is in the way)',
    'set stateDir in the config to a folder, or move the file aside',
  );
}

function stateDirError(dir: string, what: string, hint: string): RecsyncError {
  return new RecsyncError('E_STATE_DIR', {
    message: `the state folder ${dir} (config key stateDir) ${what}`,
    hint,
  });
}
