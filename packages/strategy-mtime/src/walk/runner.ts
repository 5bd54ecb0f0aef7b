/**
 * Where directory scans run: in walker threads, or on the main thread while there are none.
 *
 * A walk (./walker.ts) opens a {@link ScanSession}, starts scans of folders in it and pulls
 * their chunks; the {@link ScanPool} decides where the synchronous file-system work of
 * ./scan.js happens:
 *
 * - In `threads` worker threads, so the walk has that many file-system calls in flight and the
 *   main thread (which runs uploads and HEAD checks) only sees candidates. Each thread holds up
 *   to {@link SCANS_PER_THREAD} open folders and works through them without a round trip per
 *   folder. Threads start on first use, are unreferenced while idle (they never keep the
 *   process alive), and end after a few idle seconds.
 * - On the main thread, one folder at a time: folders whose files are not stat'ed (pruned, cheap
 *   to read), every folder until the walk has shown it is big ({@link SPAWN_AFTER_MS} of file
 *   stats) and while no thread is up yet (starting one takes tens of milliseconds: a small or
 *   pruned walk is done by then), and all of them with `threads: 0` (or a test double of the
 *   file system). The event loop gets a turn at least every {@link SLICE_MS}.
 *
 * Session contract: each `start()` and each `more()` yields exactly one chunk through `next()`;
 * `more()` only for a scan whose last chunk was not `done`; `next()` only while a scan of the
 * session is open; `cancel()` closes open scans, and their pending chunks never arrive. Chunks
 * reach only the session that started the scan, so walks may share a pool. `capacity` (scans
 * worth keeping open) grows when threads come up.
 */
import { Worker } from 'node:worker_threads';
import { RecsyncError } from '@recsync/framework';
import {
  WALKER_MARK,
  openScan,
  type Scan,
  type ScanChunk,
  type ScanFs,
  type ScanTask,
} from './scan.js';

export interface ScanResult {
  readonly id: number;
  readonly chunk: ScanChunk;
}

export interface ScanSession {
  readonly capacity: number;
  start(task: ScanTask): number;
  more(id: number): void;
  /** The next chunk of any open scan of this session, in completion order. */
  next(): Promise<ScanResult>;
  cancel(ids: Iterable<number>): void;
}

/** Longest stretch of synchronous scanning on the main thread. */
const SLICE_MS = 10;
/** Open folders per walker thread (each buffers at most one chunk ahead). */
const SCANS_PER_THREAD = 4;
/** Idle walker threads end after this long. */
const IDLE_MS = 5000;
/**
 * Threads start once the main thread has spent this long stat-ing files: a walk that stats
 * little (a pruned one, a small tree) ends sooner than threads would start.
 */
const SPAWN_AFTER_MS = 100;

interface Walker {
  readonly worker: Worker;
  online: boolean;
  readonly scans: Map<number, Session>;
}

export class ScanPool {
  private walkers: Walker[] = [];
  private readonly waiting: { id: number; task: ScanTask; session: Session }[] = [];
  /** Sessions with scans in the threads (waiting or held), and how many. */
  private readonly remote = new Map<Session, number>();
  private nextId = 1;
  private idleTimer?: NodeJS.Timeout;
  private sliceStart = performance.now();
  /** Folders read by the threads so far. */
  threadScans = 0;
  /** Time the main thread spent in scans that stat files. */
  localStatMs = 0;

  constructor(
    readonly fs: ScanFs,
    private readonly threads: number,
  ) {}

  session(): ScanSession {
    return new Session(this);
  }

  /** Scans the threads can hold now (0 until one is up). */
  get threadCapacity(): number {
    return this.walkers.filter((w) => w.online).length * SCANS_PER_THREAD;
  }

  /**
   * Hands a scan to the threads; false when it runs on the main thread instead: it stats no files
   * (a pruned folder: a thread's round trip would cost more than the work), the walk has not yet
   * shown it is big enough to start threads, or no thread is up yet.
   */
  startRemote(id: number, task: ScanTask, session: Session): boolean {
    if (this.threads === 0 || !task.files) return false;
    clearTimeout(this.idleTimer);
    if (this.walkers.length === 0) {
      if (this.localStatMs < SPAWN_AFTER_MS) return false;
      this.walkers = Array.from({ length: this.threads }, () => this.spawn());
    }
    if (this.threadCapacity === 0) return false;
    this.remote.set(session, (this.remote.get(session) ?? 0) + 1);
    this.threadScans++;
    this.waiting.push({ id, task, session });
    this.dispatch();
    return true;
  }

  allocateId(): number {
    return this.nextId++;
  }

  more(id: number): void {
    this.walkers.find((w) => w.scans.has(id))?.worker.postMessage({ type: 'more', id });
  }

  cancel(ids: ReadonlySet<number>): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const { id, session } = this.waiting[i]!;
      if (!ids.has(id)) continue;
      this.waiting.splice(i, 1);
      this.forget(session);
    }
    for (const walker of this.walkers) {
      const held = [...walker.scans.keys()].filter((id) => ids.has(id));
      if (held.length === 0) continue;
      walker.worker.postMessage({ type: 'cancel', ids: held });
      for (const id of held) this.release(walker, id);
    }
  }

  /** Gives the event loop a turn when the main thread has scanned for a while. */
  async breathe(): Promise<void> {
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }

  /** Ends the threads; the next scan starts new ones. */
  stop(): void {
    const walkers = this.walkers;
    this.walkers = [];
    for (const { worker } of walkers) void worker.terminate();
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const online = this.walkers.filter((w) => w.online);
      if (online.length === 0) return;
      const walker = online.reduce((a, b) => (b.scans.size < a.scans.size ? b : a));
      if (walker.scans.size >= SCANS_PER_THREAD) return;
      const { id, task, session } = this.waiting.shift()!;
      walker.scans.set(id, session);
      walker.worker.ref();
      walker.worker.postMessage({ type: 'start', id, task });
    }
  }

  private spawn(): Walker {
    // No inherited Node flags: the walker is plain JavaScript, and flags such as --input-type or
    // loaders meant for the main program can stop it from starting.
    const worker = new Worker(new URL('./scan.js', import.meta.url), {
      workerData: WALKER_MARK,
      execArgv: [],
    });
    const walker: Walker = { worker, online: false, scans: new Map() };
    worker.on('online', () => {
      walker.online = true;
      this.dispatch();
      this.stopWhenIdle();
    });
    worker.on('message', (result: ScanResult) => {
      const session = walker.scans.get(result.id);
      if (!session) return; // a chunk of a cancelled scan
      if (result.chunk.done) this.release(walker, result.id);
      session.deliver(result);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (this.walkers.includes(walker))
        this.fail(new Error(`a walker thread exited with code ${code}`));
    });
    worker.unref(); // after the listeners: adding a 'message' listener references the port again
    return walker;
  }

  private release(walker: Walker, id: number): void {
    const session = walker.scans.get(id);
    if (session) this.forget(session);
    walker.scans.delete(id);
    if (walker.scans.size === 0) walker.worker.unref();
    this.dispatch();
    this.stopWhenIdle();
  }

  /** Threads holding no scan end after {@link IDLE_MS} unless a scan comes first. */
  private stopWhenIdle(): void {
    if (this.walkers.some((w) => w.scans.size > 0)) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), IDLE_MS).unref();
  }

  private forget(session: Session): void {
    const open = (this.remote.get(session) ?? 1) - 1;
    if (open > 0) this.remote.set(session, open);
    else this.remote.delete(session);
  }

  /**
   * A thread died: every open walk fails (its partition is not done); later walks start new
   * threads.
   */
  private fail(cause: unknown): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const error = new RecsyncError('E_PARTITION', {
      message: `the directory walk failed: ${reason}`,
      cause,
      hint: 'the partition is not marked done; the next run walks it again',
    });
    this.stop();
    this.waiting.length = 0;
    for (const session of this.remote.keys()) session.fail(error);
    this.remote.clear();
  }
}

/**
 * One walk's scans: chunks from the threads are queued here; main-thread scans are computed on
 * demand.
 */
class Session implements ScanSession {
  private readonly results: ScanResult[] = [];
  private waiter?: { resolve(result: ScanResult): void; reject(error: unknown): void };
  private failure?: RecsyncError;
  /** Scans on the main thread, and which of them are owed a chunk. */
  private readonly local = new Map<number, Scan>();
  private readonly localReady: number[] = [];

  constructor(private readonly pool: ScanPool) {}

  get capacity(): number {
    return Math.max(1, this.pool.threadCapacity);
  }

  start(task: ScanTask): number {
    if (this.failure) throw this.failure;
    const id = this.pool.allocateId();
    if (!this.pool.startRemote(id, task, this)) {
      this.local.set(id, openScan(this.pool.fs, task));
      this.localReady.push(id);
    }
    return id;
  }

  more(id: number): void {
    if (this.local.has(id)) this.localReady.push(id);
    else this.pool.more(id);
  }

  async next(): Promise<ScanResult> {
    const queued = this.results.shift();
    if (queued) return queued;
    if (this.failure) throw this.failure;
    const id = this.localReady.shift();
    if (id === undefined)
      return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
    await this.pool.breathe();
    const started = performance.now();
    const chunk = this.local.get(id)!.next();
    if (chunk.counts.stated > 0) this.pool.localStatMs += performance.now() - started;
    if (chunk.done) this.local.delete(id);
    return { id, chunk };
  }

  cancel(ids: Iterable<number>): void {
    const cancelled = new Set(ids);
    for (const id of cancelled) this.local.get(id)?.close();
    for (const id of cancelled) this.local.delete(id);
    this.localReady.splice(
      0,
      this.localReady.length,
      ...this.localReady.filter((id) => this.local.has(id)),
    );
    for (let i = this.results.length - 1; i >= 0; i--)
      if (cancelled.has(this.results[i]!.id)) this.results.splice(i, 1);
    this.pool.cancel(cancelled);
  }

  deliver(result: ScanResult): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter.resolve(result);
    else this.results.push(result);
  }

  fail(error: RecsyncError): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }
}
