/**
 * One trial job: a data-only config file (so the `recsync` child process and the in-process
 * checks resolve exactly the same job), a fresh bucket and state folder, and the checks every
 * trial makes: the state file loads, the cursor never passes a file that is not in the bucket,
 * and at the end every file is in the bucket byte-exact.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  openPlan,
  readStateFile,
  resolveConfig,
  type ResolvedJob,
} from '@recsync/framework/internal';
import type { TestBucketClient } from '@recsync/framework/testing';
import { runCli } from './cli.js';
import type { TrialArchive } from './trial-archive.js';

export type TrialStrategy = 'date' | 'mtime' | 'journal';
export const TRIAL_STRATEGIES: readonly TrialStrategy[] = ['date', 'mtime', 'journal'];

export interface TrialJobOptions {
  readonly strategy: TrialStrategy;
  readonly archive: TrialArchive;
  readonly endpoint: string;
  readonly client: TestBucketClient;
  /** The journal listing every archive file (journal strategy only), see {@link writeJournal}. */
  readonly journal?: string;
  /** Merged into the job's `upload` settings. */
  readonly upload?: Record<string, unknown>;
}

export interface TrialJob {
  readonly cwd: string;
  readonly bucket: string;
  readonly stateFile: string;
  readonly job: ResolvedJob;
}

/** Low multipart threshold and part size (S3's 5 MiB minimum) keep multipart trials fast. */
const UPLOAD = { concurrency: 4, multipartThreshold: '5MiB', partSize: '5MiB' };

function strategyRef(options: TrialJobOptions): { use: string; with: Record<string, unknown> } {
  switch (options.strategy) {
    case 'date':
      // No look-back: a re-checked partition would hide a cursor that passed a missing file.
      return {
        use: '@recsync/strategy-date',
        with: { layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC', lookback: 0 },
      };
    case 'mtime':
      return { use: '@recsync/strategy-mtime', with: {} };
    case 'journal':
      if (!options.journal) throw new Error('the journal strategy needs a journal (writeJournal)');
      // Small partitions: the cursor moves many times per run.
      return {
        use: '@recsync/strategy-journal',
        with: { path: options.journal, linesPerPartition: 8 },
      };
  }
}

export function trialConfig(
  options: TrialJobOptions,
  bucket: string,
  stateDir: string,
): Record<string, unknown> {
  return {
    stateDir,
    jobs: {
      rec: {
        source: options.archive.root,
        target: { bucket, endpoint: options.endpoint, forcePathStyle: true },
        strategy: strategyRef(options),
        upload: { ...UPLOAD, ...options.upload },
      },
    },
  };
}

export async function createTrialJob(options: TrialJobOptions): Promise<TrialJob> {
  const bucket = `trial-${options.strategy}-${randomBytes(4).toString('hex')}`;
  await options.client.createBucket(bucket);
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-trial-'));
  const stateDir = path.join(cwd, '.recsync');
  const config = trialConfig(options, bucket, stateDir);
  const configPath = path.join(cwd, 'recsync.config.json');
  await writeFile(configPath, JSON.stringify(config, null, 1));
  const resolved = await resolveConfig(config, {
    configPath,
    importModule: (specifier) => import(specifier),
  });
  return { cwd, bucket, stateFile: path.join(stateDir, 'rec.state.json'), job: resolved.jobs[0]! };
}

/**
 * Writes the journal of every archive file with `recsync journal add`, as a recorder's hook would.
 */
export async function writeJournal(archive: TrialArchive, endpoint: string): Promise<string> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-journal-'));
  const journal = path.join(cwd, 'written.log');
  const config = trialConfig(
    { strategy: 'journal', archive, endpoint, journal, client: undefined as never },
    'unused',
    path.join(cwd, '.recsync'),
  );
  await writeFile(path.join(cwd, 'recsync.config.json'), JSON.stringify(config));
  const paths = archive.files.map((f) => path.join(archive.root, ...f.path.split('/')));
  const result = await runCli(['journal', 'add', '--job', 'rec', '--fsync', '--', ...paths], {
    cwd,
  });
  if (result.code !== 0)
    throw new Error(`recsync journal add failed (${result.code}): ${result.stderr}`);
  return journal;
}

/** Every key in the bucket with its size. */
export async function bucketObjects(
  client: TestBucketClient,
  bucket: string,
): Promise<Map<string, number>> {
  const objects = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.client.send(
      new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) objects.set(o.Key!, o.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

export interface StateCheck {
  readonly problems: string[];
  readonly pending: string[];
  readonly lastExitCode?: number;
}

/**
 * The state file, if any, parses as JSON with a valid format and version, and recsync's own loader
 * accepts it.
 */
export async function checkState(stateFile: string): Promise<StateCheck> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { problems: [], pending: [] };
    throw error;
  }
  const problems: string[] = [];
  let data: {
    format?: unknown;
    version?: unknown;
    pending?: unknown;
    lastRun?: { exitCode?: number };
  } = {};
  try {
    data = JSON.parse(text) as typeof data;
  } catch (error) {
    return {
      problems: [`state file is not JSON (${(error as Error).message}): ${text.slice(0, 80)}`],
      pending: [],
    };
  }
  if (data.format !== 'recsync-state')
    problems.push(`state format is ${JSON.stringify(data.format)}`);
  if (!Number.isInteger(data.version) || (data.version as number) < 1)
    problems.push(`state version is ${JSON.stringify(data.version)}`);
  await readStateFile(stateFile).catch((error: Error) =>
    problems.push(`recsync cannot load the state: ${error.message}`),
  );
  const pending = data.pending && typeof data.pending === 'object' ? Object.keys(data.pending) : [];
  return { problems, pending, lastExitCode: data.lastRun?.exitCode };
}

/** Temp files a killed atomic write left in the state folder (harmless, but counted). */
export async function strayTempFiles(stateFile: string): Promise<number> {
  const names = await readdir(path.dirname(stateFile)).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.tmp')).length;
}

/**
 * Files that would be lost if recsync were never run again with a fixed cursor: not in the
 * bucket, and not among the files the next run uploads (the pending set comes first in the
 * plan, then the partitions after the cursor). A cursor that passed a missing file shows here.
 */
export async function uncoveredFiles(
  trial: TrialJob,
  archive: TrialArchive,
  client: TestBucketClient,
): Promise<string[]> {
  const inBucket = await bucketObjects(client, trial.bucket);
  const next = new Set<string>();
  const plan = await openPlan(trial.job);
  for await (const item of plan.items) {
    if (item.type === 'file' && (item.action === 'upload' || item.action === 'deferred'))
      next.add(item.path);
  }
  return archive.files.filter((f) => !inBucket.has(f.path) && !next.has(f.path)).map((f) => f.path);
}

export interface BucketCheck {
  /** Archive files missing from the bucket. */
  readonly missing: string[];
  /** Objects whose bytes differ from the file (SHA-256). */
  readonly corrupt: string[];
  /** Keys that are no archive file. */
  readonly unexpected: string[];
  readonly checked: number;
}

/** Downloads every object and compares its SHA-256 with the file's. */
export async function checkBucket(
  client: TestBucketClient,
  bucket: string,
  archive: TrialArchive,
): Promise<BucketCheck> {
  const objects = await bucketObjects(client, bucket);
  const missing: string[] = [];
  const corrupt: string[] = [];
  for (const file of archive.files) {
    if (!objects.has(file.path)) {
      missing.push(file.path);
      continue;
    }
    const body = await client.get(bucket, file.path);
    if (createHash('sha256').update(body).digest('hex') !== file.sha256) corrupt.push(file.path);
  }
  const known = new Set(archive.files.map((f) => f.path));
  const unexpected = [...objects.keys()].filter((k) => !known.has(k));
  return { missing, corrupt, unexpected, checked: archive.files.length - missing.length };
}
