/**
 * One run per job at a time: a lock file created with O_EXCL that records who holds it.
 *
 * A lock whose owner is a dead process on this host is stale: it is taken over, with a
 * warning. A lock held by another host cannot be checked from here and is never broken
 * automatically (delete the file after making sure that run is gone).
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { RecsyncError } from '../errors.js';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export interface RunLock {
  readonly file: string;
  release(): Promise<void>;
}

export async function acquireLock(file: string, options: { warn(message: string): void; command: string }): Promise<RunLock> {
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command: options.command };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
      await handle.sync();
      await handle.close();
      return { file, release: () => releaseLock(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readOwner(file);
    if (!holder && (await isFresh(file))) {
      // Created a moment ago and not written yet: another run is taking it right now.
      throw new RecsyncError('E_LOCKED', { message: `another run is taking the lock ${file}`, hint: 'wait for it to finish' });
    }
    if (holder && isAlive(holder)) {
      throw new RecsyncError('E_LOCKED', {
        message: `another run holds the lock ${file}: pid ${holder.pid} on ${holder.host}, started ${holder.startedAt} (${holder.command})`,
        hint:
          holder.host === os.hostname()
            ? 'wait for it to finish; this run changed nothing'
            : `if that run is gone, delete ${file} (a lock from another host is never broken automatically)`,
      });
    }
    options.warn(
      holder
        ? `taking over a stale lock ${file}: pid ${holder.pid} on ${holder.host} (started ${holder.startedAt}) is no longer running`
        : `taking over an unreadable lock file ${file}`,
    );
    await rm(file, { force: true });
  }
  throw new RecsyncError('E_LOCKED', { message: `could not take the lock ${file}: another run keeps taking it`, hint: 'try again' });
}

async function releaseLock(file: string): Promise<void> {
  const holder = await readOwner(file);
  // Never remove a lock another run took over after ours was (wrongly) judged stale.
  if (holder && (holder.pid !== process.pid || holder.host !== os.hostname())) return;
  await rm(file, { force: true });
}

/** Who holds the lock file now, if anyone (for `status`). */
export async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** False only when the holder is known to be gone (a dead process on this host). */
export function isAlive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true; // cannot tell: assume it runs
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isFresh(file: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs < 10_000;
  } catch {
    return false;
  }
}
