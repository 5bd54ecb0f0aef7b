/**
 * The lease as a local file (`<stateDir>/<job>.lock`, mode 0600), on any POSIX file system
 * that gives atomic `link` and `rename` (local disks; NFS v3+ and most network file systems).
 *
 * - create: the record is written to a private temp file, then `link`ed to the lease path,
 *   which fails if a lease exists: create-exclusive, and never a half-written lease.
 * - heartbeat (swap to a record): the lease file is opened, its bytes compared with the
 *   holder's last version, and the new record written through the same descriptor. A takeover
 *   replaces the path, never the file, so a late heartbeat of a paused holder lands in the file
 *   it verified and cannot overwrite the new lease.
 * - remove (swap to null): the lease is renamed to a private name (atomic: one remover gets
 *   it), checked, and deleted; if it was not the expected version it is linked back.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from './atomic.js';
import {
  parseLease,
  serializeLease,
  type LeaseBackend,
  type LeaseRecord,
  type LeaseSnapshot,
} from './lock.js';

/** The middle part of the side files this backend makes next to the lease: `<12 hex>.tmp|stale`. */
export const LEASE_SIDE_FILE = /^[0-9a-f]{12}\.(tmp|stale)$/;

export function fileLeaseBackend(file: string): LeaseBackend {
  const sibling = (kind: string) =>
    path.join(
      path.dirname(file),
      `.${path.basename(file)}.${randomBytes(6).toString('hex')}.${kind}`,
    );
  return {
    where: file,
    async create(record) {
      const text = serializeLease(record);
      const temp = sibling('tmp');
      const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
      try {
        await handle.writeFile(text);
        await handle.sync();
        await handle.close();
        await link(temp, file);
        return text;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await handle.close().catch(() => undefined);
        await rm(temp, { force: true });
      }
    },
    async read() {
      return readSnapshot(file);
    },
    async swap(version, record) {
      return record ? rewrite(file, version, record) : remove(file, version, sibling('stale'));
    },
  };
}

async function readSnapshot(file: string): Promise<LeaseSnapshot | undefined> {
  try {
    const text = await readFile(file, 'utf8');
    const record = parseLease(text);
    return record ? { record, version: text } : { version: text };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function rewrite(
  file: string,
  version: string,
  record: LeaseRecord,
): Promise<string | false> {
  let handle;
  try {
    handle = await open(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    const current = await handle.readFile('utf8');
    if (current !== version) return false;
    const text = serializeLease(record);
    const bytes = Buffer.from(text);
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.truncate(bytes.length);
    return text;
  } finally {
    await handle.close();
  }
}

async function remove(file: string, version: string, aside: string): Promise<string | false> {
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    if ((await readFile(aside, 'utf8')) === version) return '';
    // Not the lease we meant to remove (it changed in between): put it back unless another
    // lease was created meanwhile (then its holder finds out at its next heartbeat or save).
    await link(aside, file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    return false;
  } finally {
    await rm(aside, { force: true });
  }
}
