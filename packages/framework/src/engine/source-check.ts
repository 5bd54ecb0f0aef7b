/**
 * Is the source still the archive the state was written for? (correctness rule 1)
 *
 * A missing source, an empty mount point (a NAS not mounted) or a partition folder that lost
 * files looks, to a strategy, like an archive with nothing new: the run would end with exit 0
 * and the cursor would move on, and once the outage outlasted the look-back those files would
 * never be uploaded. So before anything is read, for every strategy:
 *
 * - the source root must exist, be a folder, be readable and have at least one entry;
 * - the newest completed partition recorded by the last run must still exist with at least as
 *   many entries as it had then (strategies whose folders may lose files by design, like a
 *   rotating camera tree, set `partitionsMayShrink`: fewer entries is then a warning);
 * - a changed device number alone is a warning (remounts change it).
 *
 * `acceptSourceChange` (`--accept-source-change`) turns the emptiness and change checks into
 * warnings for one run; that run records the source as it is now. A missing source is always
 * an error.
 */
import { opendir, stat } from 'node:fs/promises';
import { describeError, RecsyncError, type WarningCode } from '../errors.js';
import type { SourceRecord } from '../state/format.js';

export interface SourceCheckOptions {
  readonly job: string;
  readonly source: string;
  readonly record: SourceRecord | undefined;
  readonly acceptChange: boolean;
  readonly partitionsMayShrink: boolean;
  warn(code: WarningCode, message: string): void;
}

const ACCEPT = (job: string) => `recsync sync --job ${job} --accept-source-change`;

/** Checks the source against the saved record; returns its device number. */
export async function checkSource(options: SourceCheckOptions): Promise<{ dev: number }> {
  const { job, source, record } = options;
  const dev = await rootDevice(job, source);
  if (record?.dev !== undefined && record.dev !== dev) {
    options.warn(
      'W_SOURCE_DEVICE',
      `the source ${source} is on another device than at the last run ` +
        `(${record.dev} → ${dev}): remounted?`,
    );
  }
  if (!(await hasEntries(job, source))) {
    changed(
      options,
      'E_SOURCE_EMPTY',
      `the source ${source} is empty`,
      'if it is a mount point (NAS, disk), mount it and run again; if the archive is new, run ' +
        'again once it has files',
    );
  }
  const partition = record?.partition;
  if (!partition) return { dev };
  const entries = await countEntries(partition.dir);
  if (entries === undefined) {
    changed(
      options,
      'E_SOURCE_CHANGED',
      `the folder of partition ${partition.id} (${partition.dir}), completed by an earlier run ` +
        `with ${partition.entries} entries, is missing`,
      'check that the archive is mounted and complete',
    );
  } else if (entries < partition.entries) {
    const message =
      `the folder of partition ${partition.id} (${partition.dir}) has ${entries} ` +
      `entries; an earlier run completed it with ${partition.entries}`;
    if (options.partitionsMayShrink) options.warn('W_SOURCE_SHRANK', message);
    else
      changed(
        options,
        'E_SOURCE_CHANGED',
        message,
        'check that the archive is mounted and complete (files deleted or a partial copy?)',
      );
  }
  return { dev };
}

function changed(
  options: SourceCheckOptions,
  code: 'E_SOURCE_EMPTY' | 'E_SOURCE_CHANGED',
  message: string,
  fix: string,
): void {
  if (options.acceptChange) {
    options.warn(
      code === 'E_SOURCE_EMPTY' ? 'W_SOURCE_EMPTY' : 'W_SOURCE_CHANGED',
      `${message} (accepted with --accept-source-change)`,
    );
    return;
  }
  throw new RecsyncError(code, {
    message: `${message}; nothing was read, so no file is skipped because of it`,
    hint:
      `${fix}.\nIf the change is deliberate (the archive moved or was pruned), accept it ` +
      `once: ${ACCEPT(options.job)}`,
  });
}

async function rootDevice(job: string, source: string): Promise<number> {
  try {
    const stats = await stat(source);
    if (!stats.isDirectory()) {
      throw new RecsyncError('E_SOURCE_MISSING', {
        message: `the source ${source} of job "${job}" is not a folder`,
        hint: `set jobs.${job}.source to the archive's root folder`,
      });
    }
    return stats.dev;
  } catch (error) {
    if (error instanceof RecsyncError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new RecsyncError('E_SOURCE_MISSING', {
      message:
        code === 'ENOENT'
          ? `the source ${source} of job "${job}" does not exist`
          : `the source ${source} of job "${job}" cannot be read: ${describeError(error)}`,
      hint:
        code === 'ENOENT'
          ? `if it lives on a mount (NAS, disk), mount it; if it moved, set jobs.${job}.source ` +
            `(then: recsync state adopt --job ${job})`
          : 'fix the permissions of the source folder for the user that runs recsync',
    });
  }
}

async function hasEntries(job: string, dir: string): Promise<boolean> {
  try {
    const handle = await opendir(dir, { bufferSize: 1 });
    try {
      return (await handle.read()) !== null;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new RecsyncError('E_SOURCE_MISSING', {
      message: `the source ${dir} of job "${job}" cannot be read: ${describeError(error)}`,
      hint: 'fix the permissions of the source folder for the user that runs recsync',
    });
  }
}

/** Entries directly in `dir`, or undefined when it does not exist (or is not a readable folder). */
export async function countEntries(dir: string): Promise<number | undefined> {
  let count = 0;
  try {
    const handle = await opendir(dir, { bufferSize: 256 });
    for await (const _ of handle) count++;
  } catch {
    return undefined;
  }
  return count;
}
