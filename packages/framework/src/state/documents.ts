/**
 * Where a job's state and lease are kept: local files in `stateDir` (the default) or small
 * objects in a bucket (`state: { store: 's3' }`, see ./bucket.ts). Both give the same three
 * things: a state document per job (and shard), a lease backend per job (and shard), and a
 * listing of a job's state names (for `status` and for a change in the shard count).
 *
 * Names: `<job>.state.json` and `<job>.lock` for a job run whole; `<job>.shard-I-of-N.state.json`
 * and `<job>.shard-I-of-N.lock` for shard I of N. As files they live in `stateDir`; as objects,
 * under the state prefix.
 */
import { readdir, readFile, rename } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedJob } from '../config/resolve.js';
import { describeError, RecsyncError } from '../errors.js';
import { shardSuffix } from '../shard.js';
import { writeFileAtomic } from './atomic.js';
import { bucketStore } from './bucket.js';
import { fileLeaseBackend } from './lease-file.js';
import type { LeaseBackend } from './lock.js';

export type StoreJob = Pick<ResolvedJob, 'name' | 'stateDir' | 'stateStore' | 'target'> &
  Partial<Pick<ResolvedJob, 'shard'>>;

/** One stored state document. */
export interface StateDocument {
  /** Shown in messages (a file path, `s3://bucket/key`). */
  readonly where: string;
  /** The stored text, or undefined when there is none yet. */
  read(): Promise<string | undefined>;
  /**
   * Replaces the stored text. In a bucket, only if nobody else wrote it since this document was
   * read or last written (else E_STATE_CONFLICT, exit 3).
   */
  write(text: string): Promise<void>;
  /** Moves the document aside (`.<time>.bak`); returns where, or undefined when there was none. */
  moveAside(): Promise<string | undefined>;
}

export const STATE_ENDING = '.state.json';
export const LOCK_ENDING = '.lock';

/** `<job>[.shard-I-of-N].state.json` */
export function stateName(job: Pick<StoreJob, 'name' | 'shard'>): string {
  return `${job.name}${shardSuffix(job.shard)}${STATE_ENDING}`;
}

/** `<job>[.shard-I-of-N].lock` */
export function lockName(job: Pick<StoreJob, 'name' | 'shard'>): string {
  return `${job.name}${shardSuffix(job.shard)}${LOCK_ENDING}`;
}

export function stateDocument(job: StoreJob): StateDocument {
  if (job.stateStore.store === 's3') return bucketStore(job).document(stateName(job));
  return fileDocument(path.join(job.stateDir, stateName(job)));
}

export function leaseBackendOf(job: StoreJob): LeaseBackend {
  if (job.stateStore.store === 's3') return bucketStore(job).lease(lockName(job));
  return fileLeaseBackend(path.join(job.stateDir, lockName(job)));
}

/** Where the job's state lives, for messages: the folder or `s3://bucket/prefix`. */
export function storeWhere(job: StoreJob): string {
  return job.stateStore.store === 's3' ? bucketStore(job).where('') : job.stateDir;
}

/** Names of every state document of the job (any shard count), unsorted. */
export async function listStateNames(job: StoreJob): Promise<string[]> {
  const names =
    job.stateStore.store === 's3'
      ? await bucketStore(job).list(`${job.name}.`)
      : await listDir(job.stateDir);
  return names.filter((n) => n.startsWith(`${job.name}.`) && n.endsWith(STATE_ENDING));
}

/** A sibling's state document (another shard of the same job), read-only use. */
export function siblingDocument(job: StoreJob, name: string): StateDocument {
  if (job.stateStore.store === 's3') return bucketStore(job).document(name);
  return fileDocument(path.join(job.stateDir, name));
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** A state file, replaced atomically (see ./atomic.ts). */
export function fileDocument(file: string): StateDocument {
  return {
    where: file,
    async read() {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return undefined;
        if (code === 'ENOTDIR') {
          throw new RecsyncError('E_STATE_DIR', {
            message:
              `the state folder ${path.dirname(file)} (config key stateDir) is not a folder ` +
              '(a file is in the way)',
            hint: 'set stateDir in the config to a folder, or move the file aside',
          });
        }
        throw new RecsyncError('E_STATE_CORRUPT', {
          message: `the state file ${file} cannot be read: ${describeError(error)}`,
          hint: 'check the permissions of the state folder (config key stateDir)',
        });
      }
    },
    async write(text) {
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFileAtomic(file, text);
      } catch (error) {
        throw new RecsyncError('E_STATE_WRITE', {
          message: `cannot write the state file ${file}: ${(error as Error).message}`,
          hint: 'check free space and permissions of the state folder (config key stateDir)',
          cause: error,
        });
      }
    },
    async moveAside() {
      const backup = `${file}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
      try {
        await rename(file, backup);
        return backup;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}
