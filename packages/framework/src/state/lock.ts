/**
 * One run per job at a time: a **lease** with a heartbeat and fencing.
 *
 * The lease records its owner (pid, host, start time, command) and a random token. While the
 * run lives it renews a heartbeat counter every `heartbeatMs`. A reader that finds a lease
 * watches it: when the heartbeat (the stored record, byte for byte) changes, its holder is alive
 * and the reader gives up (E_LOCKED, exit 3); when it does not change for `timeoutMs`, measured on
 * the **reader's own monotonic clock**, the lease is stale and is taken over with a warning,
 * whatever host wrote it. Timestamps written by other hosts are shown to people but never
 * compared with this host's clock. One shortcut: a lease written on this very host, boot and
 * pid namespace by a process that no longer exists is stale at once.
 *
 * Takeover is atomic: the stale record is removed only if it is still the record that was
 * watched (a compare-and-swap in the backend), then a new lease is created exclusively; of two
 * runs racing for the same stale lease, one wins and the other finds the winner's live lease.
 *
 * Fencing: a holder that was paused (SIGSTOP, a frozen VM) past the timeout may have lost its
 * lease. Every heartbeat is a compare-and-swap against the holder's last record, and
 * {@link Lease.assertHeld} re-reads the lease before each state save: once another run holds it,
 * the paused run stops with E_LEASE_LOST (exit 3) without writing. The check is a read just
 * before the write: local files cannot make the two one atomic step, so a run would slip through
 * only if a pause longer than the lease timeout fell exactly between them.
 *
 * Storage is a {@link LeaseBackend}: a local file ({@link fileLeaseBackend}) or an object in a
 * bucket written with conditional requests (./bucket.ts). A bucket lease also carries its age by
 * the store's clock (`LastModified`), so a reader waits only for what is left of the timeout.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecsyncError } from '../errors.js';
import { formatDuration, parseDuration } from '../units.js';

export interface LeaseOwner {
  readonly pid: number;
  readonly host: string;
  /** Linux boot id and pid namespace: a pid is only comparable within both. */
  readonly boot?: string;
  readonly pidNamespace?: string;
  /** The holder's clock, for people: never compared with another host's clock. */
  readonly startedAt: string;
  readonly command: string;
}

export interface LeaseRecord {
  readonly format: 'recsync-lease';
  readonly version: 1;
  readonly token: string;
  readonly owner: LeaseOwner;
  /** Counter renewed while the holder lives: a change means "alive". */
  readonly heartbeat: number;
  /** The holder's clock at the last renewal, for people. */
  readonly renewedAt: string;
}

/**
 * A lease as read: its record (undefined when unreadable) and an opaque version for
 * compare-and-swap.
 */
export interface LeaseSnapshot {
  readonly record?: LeaseRecord;
  readonly version: string;
  /**
   * How long ago the lease was last written, by the store's own clock (a bucket: response
   * `Date` minus `LastModified`). When known, the reader waits only for the rest of the timeout.
   */
  readonly ageMs?: number;
}

/**
 * Where a lease lives. Each call is atomic with respect to the others, across processes and
 * hosts. A version is opaque (the stored bytes for a file, an ETag for an object); any change to
 * the stored lease changes it.
 */
export interface LeaseBackend {
  /** Shown in messages (a file path, a bucket key). */
  readonly where: string;
  /** Creates the lease if there is none: its version, or false when one exists. */
  create(record: LeaseRecord): Promise<string | false>;
  read(): Promise<LeaseSnapshot | undefined>;
  /**
   * Replaces (or, with `null`, removes) the lease only if it is still at `version`: the new
   * version (`''` once removed), or false when the lease had changed or was gone.
   */
  swap(version: string, record: LeaseRecord | null): Promise<string | false>;
}

export interface LeaseTiming {
  /** A lease whose heartbeat did not change for this long (reader's clock) is stale. */
  readonly timeoutMs: number;
  /** How often the holder renews its heartbeat. */
  readonly heartbeatMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { timeoutMs: 120_000, heartbeatMs: 15_000 };

export interface Lease {
  readonly token: string;
  readonly where: string;
  /** Aborted when a heartbeat finds that another run took the lease over. */
  readonly lost: AbortSignal;
  /** Fencing: resolves only while the lease still carries this token; else throws E_LEASE_LOST. */
  assertHeld(): Promise<void>;
  /** Stops the heartbeat and removes the lease if it is still ours. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  readonly command: string;
  readonly timing: LeaseTiming;
  /** Called once per takeover, with what was taken over and why. */
  warn(message: string): void;
  /** Stops waiting for a lease to be judged (Ctrl-C): E_INTERRUPTED. */
  readonly signal?: AbortSignal;
}

/**
 * Lease timing: environment (`RECSYNC_LEASE_TIMEOUT`, `RECSYNC_LEASE_HEARTBEAT`, durations such
 * as `2m`, `15s`) over the config's `lease` settings over the defaults (2m, 15s).
 */
export function resolveLeaseTiming(
  config: Partial<LeaseTiming> = {},
  env: NodeJS.ProcessEnv = process.env,
): LeaseTiming {
  const fromEnv = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const parsed = parseDuration(raw);
    if (parsed === undefined || parsed <= 0) {
      throw new RecsyncError('E_USAGE', {
        message: `${name}=${JSON.stringify(raw)} is not a duration`,
        hint: `set ${name} to a duration such as "2m" or "15s", or unset it`,
      });
    }
    return parsed;
  };
  const timeoutMs =
    fromEnv('RECSYNC_LEASE_TIMEOUT') ?? config.timeoutMs ?? DEFAULT_LEASE_TIMING.timeoutMs;
  const heartbeatMs =
    fromEnv('RECSYNC_LEASE_HEARTBEAT') ??
    config.heartbeatMs ??
    Math.min(DEFAULT_LEASE_TIMING.heartbeatMs, Math.floor(timeoutMs / 4));
  if (heartbeatMs * 2 > timeoutMs) {
    throw new RecsyncError('E_USAGE', {
      message:
        `the lease heartbeat (${formatDuration(heartbeatMs)}) must be at most half the lease ` +
        `timeout (${formatDuration(timeoutMs)})`,
      hint:
        'a live run would otherwise look stale between two heartbeats: lower lease.heartbeat ' +
        'or raise lease.timeout',
    });
  }
  return { timeoutMs, heartbeatMs };
}

export async function acquireLease(backend: LeaseBackend, options: AcquireOptions): Promise<Lease> {
  const token = randomBytes(16).toString('hex');
  const record: LeaseRecord = {
    format: 'recsync-lease',
    version: 1,
    token,
    owner: {
      ...thisHost(),
      pid: process.pid,
      startedAt: new Date().toISOString(),
      command: options.command,
    },
    heartbeat: 0,
    renewedAt: new Date().toISOString(),
  };
  let takenOver: string | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const version = await backend.create(record);
    if (version !== false) {
      if (takenOver) options.warn(takenOver);
      return new HeldLease(backend, record, version, options.timing);
    }
    takenOver = undefined; // another run created the new lease first: it is the one that took over
    const found = await backend.read();
    if (!found) continue; // released meanwhile: try again
    const verdict = await judge(backend, found, options);
    if (verdict.gone) continue; // released while watched: try again
    if (verdict.alive) throw lockedError(backend.where, verdict.snapshot.record, options.command);
    if ((await backend.swap(found.version, null)) !== false) {
      takenOver = takeoverMessage(backend.where, found.record, verdict.why);
    }
    // Either way another create-exclusive decides: exactly one run gets the new lease.
  }
  throw new RecsyncError('E_LOCKED', {
    message: `could not take the lease ${backend.where}: other runs keep taking it`,
    hint: 'try again later',
  });
}

/** Removes the lease whoever holds it (`recsync unlock`). Returns the record that was removed. */
export async function breakLease(backend: LeaseBackend): Promise<LeaseSnapshot | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = await backend.read();
    if (!found) return undefined;
    if ((await backend.swap(found.version, null)) !== false) return found;
  }
  throw new RecsyncError('E_LOCKED', {
    message: `the lease ${backend.where} keeps changing: a run is renewing it`,
    hint: 'stop that run first',
  });
}

/** Describes a lease for people. */
export function describeOwner(record: LeaseRecord | undefined): string {
  if (!record) return 'an unreadable lease';
  const { owner } = record;
  return (
    `pid ${owner.pid} on ${owner.host}, started ${owner.startedAt} (${owner.command}), last ` +
    `renewed ${record.renewedAt} by its clock`
  );
}

interface Verdict {
  /** The lease was removed while watched (its holder released it). */
  readonly gone?: boolean;
  readonly alive: boolean;
  readonly why: string;
  readonly snapshot: LeaseSnapshot;
}

/**
 * Watches a lease until its heartbeat changes (alive), it disappears (gone) or it stays the same
 * for the timeout on this process's monotonic clock (stale).
 */
async function judge(
  backend: LeaseBackend,
  first: LeaseSnapshot,
  options: AcquireOptions,
): Promise<Verdict> {
  const { timing, signal } = options;
  if (first.record && deadOnThisHost(first.record.owner)) {
    return {
      alive: false,
      why: `pid ${first.record.owner.pid} is no longer running on this host`,
      snapshot: first,
    };
  }
  const started = performance.now() - Math.min(first.ageMs ?? 0, timing.timeoutMs);
  const poll = Math.max(20, Math.min(1000, Math.floor(timing.heartbeatMs / 4)));
  while (performance.now() - started < timing.timeoutMs) {
    await sleep(poll, undefined, signal ? { signal } : undefined).catch(() => {
      throw new RecsyncError('E_INTERRUPTED', {
        message:
          `interrupted while waiting to judge the lease ${backend.where} ` +
          `(${describeOwner(first.record)})`,
        hint: 'nothing was changed',
      });
    });
    const now = await backend.read();
    if (!now) return { gone: true, alive: false, why: 'released', snapshot: first };
    if (now.version !== first.version)
      return { alive: true, why: 'renewed', snapshot: now.record ? now : first };
  }
  const clock =
    first.ageMs !== undefined
      ? "by the store's clock: its LastModified, then this host's"
      : "by this host's clock";
  return {
    alive: false,
    why: `its heartbeat did not change for ${formatDuration(timing.timeoutMs)} (${clock})`,
    snapshot: first,
  };
}

function takeoverMessage(where: string, record: LeaseRecord | undefined, why: string): string {
  return `taking over a stale lease ${where}: ${describeOwner(record)}; ${why}`;
}

function lockedError(
  where: string,
  record: LeaseRecord | undefined,
  command: string,
): RecsyncError {
  return new RecsyncError('E_LOCKED', {
    message: `another run holds the lease ${where}: ${describeOwner(record)}; it is renewing it`,
    hint:
      `wait for it to finish; this ${command} changed nothing. If that run is gone, the ` +
      'lease is taken over once its heartbeat stops for the lease timeout (or: recsync ' +
      'unlock)',
  });
}

class HeldLease implements Lease {
  readonly token: string;
  readonly where: string;
  private readonly controller = new AbortController();
  private current: LeaseRecord;
  private version: string;
  private timer?: NodeJS.Timeout;
  private renewing: Promise<void> = Promise.resolve();

  constructor(
    private readonly backend: LeaseBackend,
    record: LeaseRecord,
    version: string,
    timing: LeaseTiming,
  ) {
    this.token = record.token;
    this.where = backend.where;
    this.current = record;
    this.version = version;
    this.timer = setInterval(
      () => void (this.renewing = this.renewing.then(() => this.renew())),
      timing.heartbeatMs,
    );
    this.timer.unref(); // never keeps a finished process alive
  }

  get lost(): AbortSignal {
    return this.controller.signal;
  }

  private async renew(): Promise<void> {
    if (this.lost.aborted) return;
    const next: LeaseRecord = {
      ...this.current,
      heartbeat: this.current.heartbeat + 1,
      renewedAt: new Date().toISOString(),
    };
    try {
      const version = await this.backend.swap(this.version, next);
      if (version !== false) {
        this.current = next;
        this.version = version;
      } else {
        this.markLost();
      }
    } catch {
      // A failed write is not a lost lease: the next heartbeat tries again, fencing decides.
    }
  }

  private markLost(): void {
    if (this.timer) clearInterval(this.timer);
    this.controller.abort(lostError(this.where));
  }

  async assertHeld(): Promise<void> {
    await this.renewing;
    let found = await this.backend.read();
    // Another process may be mid-write: an unreadable lease is read again before it counts.
    for (let i = 0; i < 3 && found && !found.record; i++)
      found = await sleep(20).then(() => this.backend.read());
    if (!this.lost.aborted && found?.record?.token === this.token) return;
    this.markLost();
    throw lostError(this.where, found?.record);
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.renewing;
    if (this.lost.aborted) return; // never remove the lease another run took over
    await this.backend.swap(this.version, null);
  }
}

function lostError(where: string, holder?: LeaseRecord): RecsyncError {
  return new RecsyncError('E_LEASE_LOST', {
    message:
      `this run lost its lease ${where}${holder ? ` to ${describeOwner(holder)}` : ''} (it ` +
      'was paused or stalled past the lease timeout); it stops without writing the state',
    hint:
      'nothing is lost: the run holding the lease now (or the next one) does the rest; raise ' +
      'lease.timeout if pauses this long are normal here',
  });
}

/** The bytes a backend stores for a record. */
export function serializeLease(record: LeaseRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Parses stored lease bytes; undefined for anything that is not a lease (it is still watched). */
export function parseLease(text: string): LeaseRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<LeaseRecord> & Partial<LeaseOwner>;
    if (
      value.format === 'recsync-lease' &&
      typeof value.token === 'string' &&
      value.owner &&
      typeof value.owner.pid === 'number'
    )
      return value as LeaseRecord;
    // A lock written by an older recsync: owner fields at the top level, no token, no heartbeat.
    if (typeof value.pid === 'number' && typeof value.host === 'string') {
      const owner = {
        pid: value.pid,
        host: value.host,
        startedAt: String(value.startedAt),
        command: String(value.command),
      };
      return {
        format: 'recsync-lease',
        version: 1,
        token: '',
        owner,
        heartbeat: 0,
        renewedAt: String(value.startedAt),
      };
    }
  } catch {
    // fall through
  }
  return undefined;
}

let hostFacts: Pick<LeaseOwner, 'host' | 'boot' | 'pidNamespace'> | undefined;

function thisHost(): Pick<LeaseOwner, 'host' | 'boot' | 'pidNamespace'> {
  if (hostFacts) return hostFacts;
  const tryRead = (read: () => string) => {
    try {
      return read().trim();
    } catch {
      return undefined;
    }
  };
  const boot = tryRead(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  const pidNamespace = tryRead(() => readlinkSync('/proc/self/ns/pid'));
  hostFacts = {
    host: os.hostname(),
    ...(boot ? { boot } : {}),
    ...(pidNamespace ? { pidNamespace } : {}),
  };
  return hostFacts;
}

/**
 * True only when the owner's pid is checkable from here (same host, boot, pid namespace) and gone.
 */
function deadOnThisHost(owner: LeaseOwner): boolean {
  const here = thisHost();
  if (
    owner.host !== here.host ||
    !owner.boot ||
    owner.boot !== here.boot ||
    owner.pidNamespace !== here.pidNamespace
  )
    return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
