// @ts-check
/**
 * The directory reader of the mtime walk: reads one directory, `lstat`s what the candidate rule
 * needs, and hands back candidates and subdirectories in bounded chunks.
 *
 * It runs in walker threads, and on the main thread when the walk is configured without threads
 * (or a test injects a file system). It is plain JavaScript because a worker thread loads it by
 * URL, and Node 20 cannot load TypeScript (the package's tests run from its sources).
 *
 * Guarantees:
 * - Synchronous calls only: a walker thread makes one file-system call at a time, so the walk's
 *   parallelism is exactly its number of threads.
 * - Entries come with their types (`d_type`): a directory is never stat'ed to learn it is one,
 *   only when the task asks for its times (`statDirs`). Regular files are stat'ed only when
 *   `task.files` is set.
 * - At most {@link CHUNK} entries are handled per chunk, so memory and the time of one
 *   synchronous step stay bounded in any directory size. Small directories are read in one call,
 *   large ones are streamed (`opendir`).
 * - Symlinks are never followed unless `task.follow`; a followed link must resolve inside
 *   `task.rootReal`, otherwise it is refused and counted.
 * - Nothing throws: a directory that cannot be opened or read, or an entry that cannot be
 *   stat'ed, is reported in `error` (the caller remembers the directory); an entry or directory
 *   that vanished is simply not reported.
 */
import * as nodeFs from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { isInside } from '@recsync/framework/containment';

/** Entries handled per chunk. */
export const CHUNK = 1024;

/** Marks the worker data of a walker thread, so importing this module elsewhere starts nothing. */
export const WALKER_MARK = 'recsync-mtime-walker';

/**
 * One directory to read.
 * @typedef {object} ScanTask
 * @property {string} dir Absolute path.
 * @property {boolean} files Stat regular files and report candidates. False for a write-once
 *   directory unchanged since the cutoff: only its subdirectories are wanted.
 * @property {boolean} subdirs Report subdirectories (false for the source root, whose folders are
 * partitions of their own).
 * @property {number} subdirLimit With `files` false: stop after this many subdirectories (known
 * from the link count); -1: read all.
 * @property {boolean} all Every regular file is a candidate (a folder moved in, or no cutoff).
 * @property {number} cutoff A time counts when `cutoff <= t <= until` (milliseconds; may be
 * -Infinity).
 * @property {number} until May be Infinity.
 * @property {boolean} ctime A file also counts when its ctime counts.
 * @property {boolean} statDirs Report subdirectories with their times, link count, size and
 * identity.
 * @property {boolean} follow Follow symlinks.
 * @property {string} rootReal Real path of the source root (containment of followed links).
 * @property {boolean} small Read the whole listing in one call (a small directory).
 */

/**
 * A subdirectory as the walk needs it. Times, size and link count are NaN unless `statDirs`.
 * @typedef {object} DirInfo
 * @property {string} name
 * @property {number} mtimeMs
 * @property {number} ctimeMs
 * @property {number} nlink
 * @property {number} size
 * @property {string} id `dev:ino` (empty unless `statDirs`), for the symlink loop guard.
 * @property {number} linkCtimeMs For a followed symlink: the link's own ctime; otherwise NaN.
 */

/**
 * @typedef {object} ScanCounts
 * @property {number} stated Regular files (or link targets) stat'ed.
 * @property {number} special FIFOs, sockets, devices.
 * @property {number} symlinks Symlinks not followed (following is off, or the link dangles).
 * @property {number} outside Followed symlinks resolving outside the source root: refused.
 * @property {number} other Entries that are not (followed links to) directories, whether looked at
 * or not.
 * @property {number} undecodable Entries whose names are not valid UTF-8: they cannot be opened by
 *   their decoded name, nor named in a bucket, so they are counted instead of silently vanishing.
 */

/**
 * One step of a scan. Candidates are parallel arrays (cheap to post between threads).
 * @typedef {object} ScanChunk
 * @property {string[]} names
 * @property {number[]} sizes
 * @property {number[]} mtimes
 * @property {DirInfo[]} dirs
 * @property {ScanCounts} counts
 * @property {string} [error] Why the directory, or an entry of it, could not be read.
 * @property {boolean} done
 */

/**
 * The synchronous file-system calls a scan makes: `node:fs`, or a test double.
 * @typedef {Pick<typeof nodeFs, 'opendirSync' | 'readdirSync' | 'lstatSync' | 'statSync' |
 * 'realpathSync'>} ScanFs
 */

/** @typedef {{ next(): ScanChunk; close(): void }} Scan */

/** @typedef {{ read(): nodeFs.Dirent | null; close(): void }} EntrySource */

const NO_THROW = /** @type {const} */ ({ throwIfNoEntry: false });

/**
 * Starts reading `task.dir`. Call `next()` until a chunk says `done`; `close()` releases the
 * directory handle early (it is released by the last chunk otherwise).
 * @param {ScanFs} fs
 * @param {ScanTask} task
 * @returns {Scan}
 */
export function openScan(fs, task) {
  /** @type {EntrySource | undefined} */
  let source;
  /** @type {string | undefined} */
  let openError;
  let finished = false;
  let subdirsFound = 0;
  try {
    source = openEntries(fs, task);
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') openError = code;
    finished = true; // vanished: nothing to report
  }
  const close = () => {
    source?.close();
    source = undefined;
  };
  return {
    close,
    next() {
      const chunk = emptyChunk();
      if (openError !== undefined) chunk.error = openError;
      openError = undefined;
      for (let n = 0; !finished && source && n < CHUNK; n++) {
        /** @type {nodeFs.Dirent | null} */
        let entry;
        try {
          entry = source.read();
        } catch (error) {
          chunk.error = errorCode(error);
          entry = null;
        }
        if (entry === null) finished = true;
        else if (handleEntry(fs, task, entry, chunk)) subdirsFound++;
        if (!task.files && task.subdirLimit >= 0 && subdirsFound >= task.subdirLimit)
          finished = true;
      }
      chunk.done = finished || !source;
      if (chunk.done) close();
      return chunk;
    },
  };
}

/**
 * @param {ScanFs} fs
 * @param {ScanTask} task
 * @returns {EntrySource}
 */
function openEntries(fs, task) {
  if (task.small) {
    const entries = fs.readdirSync(task.dir, { withFileTypes: true });
    let i = 0;
    return { read: () => (i < entries.length ? entries[i++] : null), close: () => undefined };
  }
  const handle = fs.opendirSync(task.dir, { bufferSize: 256 });
  let open = true;
  return {
    read: () => handle.readSync(),
    close: () => {
      if (open) handle.closeSync();
      open = false;
    },
  };
}

/**
 * Handles one entry; returns true when it was a subdirectory.
 * @param {ScanFs} fs
 * @param {ScanTask} task
 * @param {nodeFs.Dirent} entry
 * @param {ScanChunk} chunk
 */
function handleEntry(fs, task, entry, chunk) {
  const name = entry.name;
  const path = `${task.dir}/${name}`;
  const dirsBefore = chunk.dirs.length;
  try {
    if (name.includes('\uFFFD') && fs.lstatSync(path, NO_THROW) === undefined) {
      chunk.counts.undecodable++;
      return false;
    }
    if (entry.isDirectory()) {
      if (task.subdirs) addDir(fs, task, name, path, chunk);
      return true;
    }
    chunk.counts.other++;
    if (entry.isFile()) {
      if (task.files) addFile(fs, task, name, path, chunk);
    } else if (entry.isSymbolicLink()) {
      addLink(fs, task, name, path, chunk);
      if (chunk.dirs.length > dirsBefore) chunk.counts.other--; // a followed link to a folder
    } else if (task.files) {
      chunk.counts.special++;
    }
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') chunk.error ??= code;
  }
  return false;
}

/**
 * @param {ScanFs} fs
 * @param {ScanTask} task
 * @param {string} name
 * @param {string} path
 * @param {ScanChunk} chunk
 */
function addFile(fs, task, name, path, chunk) {
  const stats = fs.lstatSync(path, NO_THROW);
  chunk.counts.stated++;
  if (stats === undefined) return; // vanished since the listing
  if (stats.isDirectory()) {
    if (task.subdirs) chunk.dirs.push(dirInfo(name, task.statDirs ? stats : undefined, NaN));
    return;
  }
  if (!stats.isFile()) {
    chunk.counts.special++;
    return;
  }
  if (task.all || changed(task, stats.mtimeMs, stats.ctimeMs))
    pushCandidate(chunk, name, stats.size, stats.mtimeMs);
}

/**
 * A subdirectory. One whose stat fails is still reported, with unknown times: the walk then
 * reads it without any shortcut, and remembers it if it cannot.
 * @param {ScanFs} fs
 * @param {ScanTask} task
 * @param {string} name
 * @param {string} path
 * @param {ScanChunk} chunk
 */
function addDir(fs, task, name, path, chunk) {
  if (!task.statDirs) {
    chunk.dirs.push(dirInfo(name, undefined, NaN));
    return;
  }
  /** @type {nodeFs.Stats | undefined} */
  let stats;
  try {
    stats = fs.lstatSync(path, NO_THROW);
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') chunk.dirs.push(dirInfo(name, undefined, NaN));
    return;
  }
  if (stats?.isDirectory()) chunk.dirs.push(dirInfo(name, stats, NaN));
}

/**
 * A symlink: skipped and counted unless links are followed; a followed link counts as changed
 * when the link itself or its target changed (a new link to an old file is a new path).
 * @param {ScanFs} fs
 * @param {ScanTask} task
 * @param {string} name
 * @param {string} path
 * @param {ScanChunk} chunk
 */
function addLink(fs, task, name, path, chunk) {
  if (!task.follow) {
    if (task.files) chunk.counts.symlinks++;
    return;
  }
  /** @type {string} */
  let real;
  try {
    real = fs.realpathSync(path);
  } catch {
    chunk.counts.symlinks++; // dangling, or a loop of links
    return;
  }
  if (!isInside(task.rootReal, real)) {
    chunk.counts.outside++;
    return;
  }
  const target = fs.statSync(real, NO_THROW);
  const link = fs.lstatSync(path, NO_THROW);
  if (target === undefined || link === undefined) return;
  if (target.isDirectory()) {
    if (task.subdirs) chunk.dirs.push(dirInfo(name, target, link.ctimeMs));
  } else if (!task.files) {
    return;
  } else if (target.isFile()) {
    chunk.counts.stated++;
    const newest = Math.max(link.mtimeMs, target.mtimeMs);
    if (task.all || changed(task, newest, Math.max(link.ctimeMs, target.ctimeMs)))
      pushCandidate(chunk, name, target.size, target.mtimeMs);
  } else {
    chunk.counts.special++;
  }
}

/**
 * The candidate rule: the mtime, or with `ctime` the ctime, falls in [cutoff, until].
 * @param {ScanTask} task
 * @param {number} mtimeMs
 * @param {number} ctimeMs
 */
function changed(task, mtimeMs, ctimeMs) {
  if (mtimeMs >= task.cutoff && mtimeMs <= task.until) return true;
  return task.ctime && ctimeMs >= task.cutoff && ctimeMs <= task.until;
}

/**
 * A subdirectory's {@link DirInfo}; without stats, only its name is known.
 * @param {string} name
 * @param {nodeFs.Stats | undefined} stats
 * @param {number} linkCtimeMs
 * @returns {DirInfo}
 */
export function dirInfo(name, stats, linkCtimeMs) {
  if (!stats)
    return { name, mtimeMs: NaN, ctimeMs: NaN, nlink: NaN, size: NaN, id: '', linkCtimeMs };
  const { mtimeMs, ctimeMs, nlink, size } = stats;
  return { name, mtimeMs, ctimeMs, nlink, size, id: `${stats.dev}:${stats.ino}`, linkCtimeMs };
}

/**
 * @param {ScanChunk} chunk
 * @param {string} name
 * @param {number} size
 * @param {number} mtimeMs
 */
function pushCandidate(chunk, name, size, mtimeMs) {
  chunk.names.push(name);
  chunk.sizes.push(size);
  chunk.mtimes.push(mtimeMs);
}

/** @returns {ScanChunk} */
function emptyChunk() {
  return {
    names: [],
    sizes: [],
    mtimes: [],
    dirs: [],
    counts: { stated: 0, special: 0, symlinks: 0, outside: 0, other: 0, undecodable: 0 },
    done: false,
  };
}

/** @param {unknown} error */
function errorCode(error) {
  const code = /** @type {NodeJS.ErrnoException} */ (error)?.code;
  return typeof code === 'string' ? code : String(error);
}

/**
 * A walker thread's loop. It holds several scans (the main thread bounds how many) and works
 * through them without waiting for a round trip per folder: a scan gets one chunk per credit
 * (the start, then each `more`), and while no scan has credit, the thread computes one chunk
 * ahead for each scan that has none, so it rarely idles and never buffers more than one chunk
 * per scan (memory stays bounded when the consumer is slow).
 *
 * Messages in: `{ type: 'start', id, task }`, `{ type: 'more', id }`, `{ type: 'cancel', ids }`.
 * Messages out: `{ id, chunk }`, exactly one per `start` or `more` of a scan not cancelled.
 * @param {import('node:worker_threads').MessagePort} port
 */
function serve(port) {
  /** @typedef {{ scan: Scan; credit: number; ahead?: ScanChunk }} Held */
  /** @type {Map<number, Held>} */
  const held = new Map();
  const step = () => {
    for (const [id, h] of held) {
      if (h.credit === 0) continue;
      const chunk = h.ahead ?? h.scan.next();
      h.ahead = undefined;
      h.credit--;
      if (chunk.done) held.delete(id);
      port.postMessage({ id, chunk });
      return true;
    }
    for (const h of held.values()) {
      if (h.ahead !== undefined) continue;
      h.ahead = h.scan.next();
      return true;
    }
    return false;
  };
  port.on(
    'message',
    (/** @type {{ type: string; id: number; ids: number[]; task: ScanTask }} */ message) => {
      if (message.type === 'start')
        held.set(message.id, { scan: openScan(nodeFs, message.task), credit: 1 });
      else if (message.type === 'more') {
        const h = held.get(message.id);
        if (h) h.credit++;
      } else if (message.type === 'cancel') {
        for (const id of message.ids) held.get(id)?.scan.close();
        for (const id of message.ids) held.delete(id);
      }
      // Work until nothing has credit and every scan holds its chunk ahead; later messages wait
      // meanwhile.
      while (step());
    },
  );
}

if (!isMainThread && parentPort && workerData === WALKER_MARK) serve(parentPort);
