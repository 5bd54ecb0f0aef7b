/**
 * `recsync restore` for one job: lists the objects in scope and restores them into `--to`
 * with bounded concurrency (see object.ts for one object), streaming one event per object.
 *
 * Scope: the job's whole prefix (default), `--prefix P` (relative to the job's prefix), or
 * the partitions of `--since/--until` or `--partition` (their key prefixes). The listing asks
 * for `RestoreStatus`, so objects in archive classes are known without a HEAD each. recsync's
 * own objects (audit manifests) are not restored. Nothing is written to the bucket, except
 * RestoreObject requests with `--request-archive-restore`; nothing is written to the state.
 *
 * Scale-out: with `--shard I/N` (`job.shard`) only the objects whose key that shard owns are
 * restored (`ownsKey`, the hash sync shards by), so N restores into one folder together restore
 * what one restore does, each object once. Every shard lists the whole scope.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { mapUnordered } from '../concurrency.js';
import { RecsyncError } from '../errors.js';
import type { ResolvedJob } from '../config/resolve.js';
import { checkRange } from '../engine/range.js';
import { exitCodeOf } from '../engine/outcome.js';
import { ownsKey, type ShardSpec } from '../shard.js';
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
  /** The shard whose share was restored (`--shard`); absent when the job was restored whole. */
  readonly shard?: ShardSpec;
  readonly to: string;
  readonly prefixes: string[];
  readonly counts: RestoreCounts;
  readonly interrupted: boolean;
  readonly exitCode: number;
}

export interface RestoreRun {
  readonly prefixes: readonly string[];
  /** The shard whose share this run restores (`--shard`); absent when the job is restored whole. */
  readonly shard?: ShardSpec;
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
    prefixes = await scopePrefixes(job, options);
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
        if (!ownsKey(job.shard, o.key)) continue; // another shard's object
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
  const shard = job.shard && job.shard.count > 1 ? job.shard : undefined;
  return {
    prefixes,
    ...(shard ? { shard } : {}),
    events,
    summary: () => {
      const problems =
        counts.failed.objects + counts.refused.objects + counts.archived.objects + counts.conflicts;
      return {
        job: job.name,
        ...(shard ? { shard } : {}),
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

/**
 * Key prefixes to list: the job's, one under it, or the partitions of a range. The partitions
 * come from the strategy alone (no state is read: a restore needs no cursor, and its shards
 * need not match the saved states' shard count).
 */
function scopePrefixes(job: ResolvedJob, options: RestoreOptions): Promise<string[]> | string[] {
  if (options.prefix !== undefined) return [job.target.prefix + options.prefix.replace(/^\/+/, '')];
  if (options.partition === undefined && options.range === undefined) return [job.target.prefix];
  return partitionPrefixes(job, options);
}

async function partitionPrefixes(job: ResolvedJob, options: RestoreOptions): Promise<string[]> {
  const range =
    options.partition !== undefined
      ? { since: options.partition, until: options.partition }
      : options.range!;
  const now = options.now ?? new Date();
  checkRange(job, range, now);
  const { definition } = job.strategy;
  const strategy = definition.create(job.strategy.options as never, {
    source: job.source,
    followSymlinks: job.followSymlinks,
    filters: { include: job.filters.include ?? [], exclude: job.filters.exclude ?? [] },
    warn: () => undefined,
  });
  const prefixes: string[] = [];
  for await (const p of strategy.partitions({
    cursor: undefined,
    range,
    now,
    signal: new AbortController().signal,
  })) {
    if (options.partition !== undefined && p.id !== options.partition) continue;
    const rel = p.prefix ?? path.relative(job.source, p.dir).split(path.sep).join('/');
    if (rel.startsWith('..')) continue;
    prefixes.push(job.target.prefix + (rel && !rel.endsWith('/') ? `${rel}/` : rel));
  }
  if (prefixes.length === 0) {
    throw new RecsyncError('E_USAGE', {
      message:
        `nothing of job "${job.name}" matches ` +
        `${options.partition !== undefined ? `partition ${options.partition}` : 'that range'}`,
      hint:
        'partitions are found in the local source; on a machine without it, use --prefix ' +
        '(for date folders: --prefix 2026-11-25/)',
    });
  }
  return prefixes;
}
