/**
 * `recsync restore` for one job: lists the objects in scope and restores them into `--to`
 * with bounded concurrency (see object.ts for one object), streaming one event per object.
 *
 * Scope: the job's whole prefix (default), `--prefix P` (relative to the job's prefix), or
 * the partitions of `--since/--until` or `--partition` (their key prefixes). The listing asks
 * for `RestoreStatus`, so objects in archive classes are known without a HEAD each. recsync's
 * own objects (audit manifests) are not restored. Nothing is written to the bucket, except
 * RestoreObject requests with `--request-archive-restore`; nothing is written to the state.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { mapUnordered } from '../concurrency.js';
import { RecsyncError } from '../errors.js';
import type { ResolvedJob } from '../config/resolve.js';
import { prepareRun } from '../engine/prepare.js';
import { exitCodeOf } from '../engine/outcome.js';
import { createS3Target, type S3Target } from '../s3/target.js';
import type { RangeRequest } from '../strategy.js';
import { FolderMaker } from './files.js';
import { CaseGuard } from './keys.js';
import {
  restoreObject,
  type RestoreContext,
  type RestoreEvent,
  type RestoreOutcome,
} from './object.js';

export interface RestoreOptions {
  readonly to: string;
  readonly range?: RangeRequest;
  readonly partition?: string;
  /** Key prefix relative to the job's `target.prefix`. */
  readonly prefix?: string;
  readonly overwrite?: boolean;
  readonly dryRun?: boolean;
  readonly concurrency?: number;
  /** Objects of at least this size are fetched with ranged GETs (default 64 MiB). */
  readonly rangedFrom?: number;
  readonly partSize?: number;
  readonly archiveRestore?: { tier: 'Standard' | 'Bulk' | 'Expedited'; days: number };
  readonly signal?: AbortSignal;
  readonly now?: Date;
  /** Use this target (tests). */
  readonly target?: S3Target;
}

export type RestoreCounts = Record<RestoreOutcome, { objects: number; bytes: number }> & {
  conflicts: number;
  unverified: number;
};

export interface RestoreSummary {
  readonly job: string;
  readonly to: string;
  readonly prefixes: string[];
  readonly counts: RestoreCounts;
  readonly interrupted: boolean;
  readonly exitCode: number;
}

export interface RestoreRun {
  readonly prefixes: readonly string[];
  readonly events: AsyncIterable<RestoreEvent>;
  summary(): RestoreSummary;
  dispose(): void;
}

const MiB = 1024 * 1024;
const OUTCOMES: readonly RestoreOutcome[] = [
  'restored',
  'skipped',
  'failed',
  'refused',
  'archived',
  'planned',
];

export async function openRestore(job: ResolvedJob, options: RestoreOptions): Promise<RestoreRun> {
  const scopes = [
    options.prefix !== undefined,
    options.partition !== undefined,
    options.range !== undefined,
  ].filter(Boolean).length;
  if (scopes > 1)
    throw new RecsyncError('E_USAGE', {
      message: 'choose one of --prefix, --partition and --since/--until',
      hint: 'each selects what to restore',
    });
  const target =
    options.target ??
    (await createS3Target(job.target, { maxSockets: (options.concurrency ?? 16) * 4 + 8 }));
  const dispose = () => (options.target ? undefined : target.destroy());
  let prefixes: string[];
  try {
    await target.preflight({ list: true, prefix: job.target.prefix });
    prefixes = await scopePrefixes(job, options, target);
  } catch (error) {
    dispose();
    throw error;
  }
  const to = path.resolve(options.to);
  await mkdir(to, { recursive: true });
  const manifestPrefix = job.target.manifest?.prefix;
  const ctx: RestoreContext = {
    reader: target,
    to,
    prefix: job.target.prefix,
    overwrite: options.overwrite ?? false,
    dryRun: options.dryRun ?? false,
    folders: new FolderMaker(to),
    cases: await CaseGuard.probe(to),
    ...(options.archiveRestore ? { archiveRestore: options.archiveRestore } : {}),
    download: {
      rangedFrom: options.rangedFrom ?? 64 * MiB,
      partSize: options.partSize ?? 16 * MiB,
      partConcurrency: 4,
      signal: options.signal,
    },
    signal: options.signal,
  };
  const counts = Object.assign(
    Object.fromEntries(OUTCOMES.map((o) => [o, { objects: 0, bytes: 0 }])),
    { conflicts: 0, unverified: 0 },
  ) as unknown as RestoreCounts;
  let complete = false;
  const listed = (async function* () {
    for (const prefix of prefixes) {
      for await (const o of target.listObjects(prefix, {
        restoreStatus: true,
        signal: options.signal,
      })) {
        if (options.signal?.aborted) return;
        if (manifestPrefix !== undefined && o.key.startsWith(manifestPrefix)) continue;
        yield o;
      }
    }
  })();
  const events = (async function* () {
    for await (const event of mapUnordered(listed, options.concurrency ?? 16, (o) =>
      restoreObject(ctx, o),
    )) {
      counts[event.outcome].objects++;
      counts[event.outcome].bytes += event.size;
      if (event.conflict) counts.conflicts++;
      if (event.outcome === 'restored' && !event.verified) counts.unverified++;
      yield event;
    }
    complete = !options.signal?.aborted;
  })();
  return {
    prefixes,
    events,
    summary: () => {
      const problems =
        counts.failed.objects + counts.refused.objects + counts.archived.objects + counts.conflicts;
      return {
        job: job.name,
        to,
        prefixes,
        counts,
        interrupted: !complete,
        exitCode: exitCodeOf({ interrupted: !complete, owed: problems }),
      };
    },
    dispose,
  };
}

/** Key prefixes to list: the job's, one under it, or the partitions of a range. */
async function scopePrefixes(
  job: ResolvedJob,
  options: RestoreOptions,
  target: S3Target,
): Promise<string[]> {
  if (options.prefix !== undefined) return [job.target.prefix + options.prefix.replace(/^\/+/, '')];
  if (options.partition === undefined && options.range === undefined) return [job.target.prefix];
  const range =
    options.partition !== undefined
      ? { since: options.partition, until: options.partition }
      : options.range!;
  const run = await prepareRun(job, 'plan', {
    target,
    range,
    ...(options.now ? { now: options.now } : {}),
  });
  try {
    const prefixes: string[] = [];
    for await (const p of run.strategy.partitions({
      cursor: undefined,
      range,
      now: run.now,
      signal: new AbortController().signal,
    })) {
      if (options.partition !== undefined && p.id !== options.partition) continue;
      const rel = p.prefix ?? path.relative(job.source, p.dir).split(path.sep).join('/');
      if (rel.startsWith('..')) continue;
      prefixes.push(job.target.prefix + (rel && !rel.endsWith('/') ? `${rel}/` : rel));
    }
    if (prefixes.length === 0) {
      throw new RecsyncError('E_USAGE', {
        message: `nothing of job "${job.name}" matches ${options.partition !== undefined ? `partition ${options.partition}` : 'that range'}`,
        hint: 'partitions are found in the local source; on a machine without it, use --prefix (for date folders: --prefix 2026-11-25/)',
      });
    }
    return prefixes;
  } finally {
    run.dispose();
  }
}
