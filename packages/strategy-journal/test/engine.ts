/**
 * A journal job run through the real engine against the local S3 server (the testing kit's
 * `createTestJob`): a source with files and a journal beside it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';
import { createTestJob } from '@recsync/framework/testing';
import { journal, type JournalOptions } from '../src/index.js';
import { addFiles, archive } from './helpers.js';

export async function journalJob(
  options: {
    files?: string[];
    strategy?: Partial<JournalOptions>;
    job?: Record<string, unknown>;
  } = {},
) {
  const dirs = await archive(options.files ?? []);
  const journalFile = path.join(dirs.journalDir, 'written.log');
  const job = await createTestJob({
    endpoint: inject('s3Endpoint'),
    source: dirs.source,
    strategy: journal({ path: journalFile, ...options.strategy } as JournalOptions),
    job: { filters: { settle: 0 }, upload: { concurrency: 4 }, ...options.job },
    stateDir: path.join(dirs.root, 'state'),
  });
  return {
    ...job,
    ...dirs,
    journal: journalFile,
    addFiles: (files: string[]) => addFiles(dirs.source, files),
    /** True when each path is in the bucket with exactly the local bytes. */
    async byteExact(paths: string[]): Promise<boolean> {
      for (const p of paths) {
        const local = await readFile(path.join(dirs.source, p));
        if (Buffer.compare(await job.client.get(job.bucket, p), local) !== 0) return false;
      }
      return true;
    },
  };
}
