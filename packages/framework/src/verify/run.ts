/**
 * `recsync verify` for one job: which folders to check (the scope), what it will cost, then a
 * stream of findings, repairs and per-folder results, and a summary.
 *
 * Scope: the partitions a sync would look at now (the look-back window and anything newer), a
 * `--since/--until` range, one `--partition`, or `--all` (a walk of the whole source and a
 * listing of the job's whole prefix, for every strategy). A partition is checked as its whole
 * folder, folder by folder (see folder.ts), so memory stays flat as the bucket grows.
 *
 * It never writes to the bucket, except with `--repair`. It writes under the state dir only:
 * the local checksum cache and, with `--subset`, where the rotation stands.
 *
 * Scale-out: with `--shard I/N` (`job.shard`) a run checks only the files and objects whose key
 * that shard owns (`ownsKey`, the hash sync shards by), reads that shard's pending set, and keeps
 * its cache and rotation per shard; N such runs together check what one run checks, each key once.
 */
import { constants } from 'node:fs';
import path from 'node:path';
import { RecsyncError } from '../errors.js';
import type { ResolvedJob } from '../config/resolve.js';
import { prepareRun, type PreparedRun } from '../engine/prepare.js';
import { createS3Target, type S3Target } from '../s3/target.js';
import type { RangeRequest } from '../strategy.js';
import { acquireJobLease } from '../state/job-lease.js';
import { ownsKey, shardSuffix, type ShardSpec } from '../shard.js';
import { checksumCacheRoot } from './checksum-cache.js';
import type { VerifyContext, VerifyLevel } from './context.js';
import { emptyFindingCounts, failing, type FindingCounts } from './findings.js';
import { checkUnit, listUnit, prefixOf, type VerifyItem } from './folder.js';
import type { Place } from './local-folder.js';
import type { LocalFile } from './check-file.js';
import type { Finding } from './findings.js';
import { createRepairer } from './repair.js';
import { advanceRotation, currentSelection, type SubsetSpec } from './subset.js';
import { estimateCost, type VerifyCost } from './cost.js';
import { exitCodeOf } from '../engine/outcome.js';

export interface VerifyOptions {
  readonly level?: VerifyLevel;
  readonly all?: boolean;
  readonly range?: RangeRequest;
  readonly partition?: string;
  readonly subset?: SubsetSpec;
  readonly rehash?: boolean;
  readonly repair?: boolean;
  readonly now?: Date;
  readonly signal?: AbortSignal;
  readonly concurrency?: number;
  /** Use this target (tests). */
  readonly target?: S3Target;
}

export interface VerifySummary {
  readonly job: string;
  /** The shard whose share was checked (`--shard`); absent when the job was checked whole. */
  readonly shard?: ShardSpec;
  readonly level: VerifyLevel;
  readonly scope: string;
  readonly folders: number;
  readonly files: number;
  readonly skipped: number;
  readonly objects: number;
  readonly bytesRead: number;
  /** Local checksums from the cache vs files read to compute them. */
  readonly cachedHashes: number;
  readonly readHashes: number;
  readonly findings: FindingCounts;
  readonly repairs: { uploaded: number; notReplaced: number; failed: number };
  readonly subset?: { take: number; of: number; slices: number[] };
  readonly interrupted: boolean;
  readonly exitCode: number;
}

export interface VerifyRun {
  readonly scope: string;
  /** The shard whose share this run checks (`--shard`); absent when the job is checked whole. */
  readonly shard?: ShardSpec;
  readonly level: VerifyLevel;
  /** What the run will cost (objects, requests, bytes), found by listing the scope first. */
  estimate(): Promise<VerifyCost>;
  readonly items: AsyncIterable<VerifyItem>;
  /** Valid once `items` is exhausted. */
  summary(): VerifySummary;
  dispose(): Promise<void>;
}

export async function openVerify(
  job: ResolvedJob,
  options: VerifyOptions = {},
): Promise<VerifyRun> {
  if (options.all && (options.range || options.partition)) {
    throw new RecsyncError('E_USAGE', {
      message: '--all checks everything: it cannot be combined with --since/--until or --partition',
      hint: 'drop one of them',
    });
  }
  const level = options.level ?? 'list';
  const target =
    options.target ??
    (await createS3Target(job.target, { maxSockets: (options.concurrency ?? 32) + 8 }));
  // --repair uploads: it holds the job's lease like sync (exit 3 while a sync runs).
  const lock = options.repair
    ? await acquireJobLease(job, {
        command: 'verify --repair',
        warn: () => undefined,
        ...(options.signal ? { signal: options.signal } : {}),
      })
    : undefined;
  let run: PreparedRun;
  try {
    run = await prepareRun(job, 'plan', {
      target,
      now: options.now,
      ...(rangeFor(options) ? { range: rangeFor(options) } : {}),
    });
    await target.preflight({ list: true, prefix: job.target.prefix });
  } catch (error) {
    if (!options.target) target.destroy();
    await lock?.release().catch(() => undefined);
    throw error;
  }
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const roots = options.all ? [] : await partitionFolders(run, options);
  const scope = options.all
    ? 'all'
    : options.partition
      ? `partition ${options.partition}`
      : options.range
        ? `range ${options.range.since ?? '…'}..${options.range.until ?? 'now'}`
        : 'look-back window';
  const subset =
    options.subset && level === 'deep'
      ? await currentSelection(job.stateDir, perShard(job), options.subset)
      : undefined;
  const ctx = contextOf(run, target, {
    level,
    subset,
    rehash: options.rehash ?? false,
    signal: controller.signal,
    concurrency: options.concurrency ?? 32,
  });
  const counts = emptyFindingCounts();
  const totals = {
    folders: 0,
    files: 0,
    skipped: 0,
    objects: 0,
    bytesRead: 0,
    cachedHashes: 0,
    readHashes: 0,
  };
  const repairs = { uploaded: 0, notReplaced: 0, failed: 0 };
  let complete = false;
  const repairer = options.repair
    ? createRepairer(job, target, run.hooks, controller.signal, ctx.partitionStart)
    : undefined;
  const repair =
    repairer &&
    ((unit: string) => (file: LocalFile, key: string, found: Finding[], exists: boolean) =>
      repairer.repair(file, key, found, exists, unit));
  const items = (async function* () {
    // --all: the source root's own files first (a delimited listing), then each top-level folder as
    // a unit.
    const units: Place[] = options.all
      ? yield* tally(
          checkUnit(ctx, {
            unit: '.',
            place: { rel: '' },
            recursive: false,
            listing: listUnit(ctx, prefixOf(ctx, ''), { delimiter: true }),
            ...(repair ? { repair: repair('.') } : {}),
          }),
        )
      : roots.map((rel) => ({ rel }));
    // The next unit's listing runs while this one is checked.
    let next =
      units.length > 0
        ? listUnit(ctx, prefixOf(ctx, units[0].rel), { delimiter: false })
        : undefined;
    for (let i = 0; i < units.length; i++) {
      if (controller.signal.aborted) return;
      const listing = next!;
      // observed by checkUnit; avoids an unhandled rejection meanwhile
      listing.catch(() => undefined);
      next =
        i + 1 < units.length
          ? listUnit(ctx, prefixOf(ctx, units[i + 1].rel), { delimiter: false })
          : undefined;
      const unit = unitOf(units[i].rel);
      yield* tally(
        checkUnit(ctx, {
          unit,
          place: units[i],
          recursive: true,
          listing,
          ...(repair ? { repair: repair(unit) } : {}),
        }),
      );
    }
    next?.catch(() => undefined);
    complete = !controller.signal.aborted;
    if (complete && subset) await advanceRotation(job.stateDir, perShard(job), subset);
  })();
  async function* tally<R>(source: AsyncGenerator<VerifyItem, R>): AsyncGenerator<VerifyItem, R> {
    for (;;) {
      const next = await source.next();
      if (next.done) return next.value;
      const item = next.value;
      if (item.type === 'finding') counts[item.finding.kind]++;
      else if (item.type === 'repair')
        repairs[
          item.repair.outcome === 'uploaded'
            ? 'uploaded'
            : item.repair.outcome === 'failed'
              ? 'failed'
              : 'notReplaced'
        ]++;
      else {
        totals.folders++;
        totals.files += item.folder.files;
        totals.skipped += item.folder.skipped;
        totals.objects += item.folder.objects;
        totals.bytesRead += item.folder.bytesRead;
        totals.cachedHashes += item.folder.cachedHashes;
        totals.readHashes += item.folder.readHashes;
      }
      yield item;
    }
  }
  const shard = sharded(job);
  return {
    scope,
    ...(shard ? { shard } : {}),
    level,
    estimate: () => estimateCost(ctx, options.all ? [''] : roots),
    items,
    summary: () => ({
      job: job.name,
      ...(shard ? { shard } : {}),
      level,
      scope,
      ...totals,
      findings: counts,
      repairs,
      ...(subset
        ? { subset: { take: subset.spec.take, of: subset.spec.of, slices: [...subset.slices] } }
        : {}),
      interrupted: !complete,
      exitCode: exitCodeOf({ interrupted: !complete, owed: failing(counts) }),
    }),
    async dispose() {
      run.dispose();
      if (!options.target) target.destroy();
      await lock?.release();
    },
  };
}

/** This run's shard, when the job runs as more than one. */
export function sharded(job: ResolvedJob): ShardSpec | undefined {
  return job.shard && job.shard.count > 1 ? job.shard : undefined;
}

/**
 * What a shard keeps for itself under the state dir (the `--subset` rotation, the checksum
 * cache) is named per shard: shards that share a state dir check disjoint files, and one
 * shard's rotation or cache must not move or drop another's.
 */
function perShard(job: ResolvedJob): string {
  return `${job.name}${shardSuffix(job.shard)}`;
}

function rangeFor(options: VerifyOptions): RangeRequest | undefined {
  if (options.partition !== undefined)
    return { since: options.partition, until: options.partition };
  return options.range;
}

/** A unit is named by its folder (`.` for the source root). */
function unitOf(rel: string): string {
  return rel === '' ? '.' : rel;
}

/** The local folders of the partitions in scope (each once), relative to the source. */
async function partitionFolders(run: PreparedRun, options: VerifyOptions): Promise<string[]> {
  const { job, strategy } = run;
  const byRange =
    options.partition !== undefined && job.strategy.definition.features?.range !== undefined;
  const request = {
    cursor: run.state.cursor,
    now: run.now,
    signal: new AbortController().signal,
    ...(run.info.range && (byRange || options.partition === undefined)
      ? { range: run.info.range }
      : {}),
  };
  const folders = new Set<string>();
  let matched = false;
  for await (const partition of strategy.partitions(request)) {
    if (options.partition !== undefined && partition.id !== options.partition) continue;
    matched = true;
    const rel = path.relative(job.source, partition.dir).split(path.sep).join('/');
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    folders.add(rel);
  }
  if (options.partition !== undefined && !matched) {
    throw new RecsyncError('E_USAGE', {
      message: `job "${job.name}" has no partition ${JSON.stringify(options.partition)}`,
      hint: 'partition ids are what `recsync plan` shows (a date for date folders); or use --all',
    });
  }
  // A folder inside another one in scope is checked with it.
  return [...folders].filter(
    (f) =>
      ![...folders].some((other) => other !== f && (other === '' || f.startsWith(`${other}/`))),
  );
}

export function contextOf(
  run: PreparedRun,
  target: S3Target,
  o: Pick<VerifyContext, 'level' | 'subset' | 'rehash' | 'signal' | 'concurrency'>,
): VerifyContext {
  const { job } = run;
  const manifestPrefix = job.target.manifest?.prefix;
  return {
    ...o,
    job,
    reader: target,
    hooks: run.hooks,
    algorithm: job.target.checksum === 'none' ? 'CRC32C' : job.target.checksum,
    now: run.now,
    pending: new Set(run.state.pending.keys()),
    owns: (key) => ownsKey(job.shard, key),
    ownKeys: (key) => manifestPrefix !== undefined && key.startsWith(manifestPrefix),
    customKeys: run.hooks.key.taps.length > 0,
    checksumCache: checksumCacheRoot(job.stateDir, perShard(job)),
    openFlags: constants.O_RDONLY | (job.followSymlinks ? 0 : constants.O_NOFOLLOW),
    // The partition id is the file's folder path or a leading part of it (`2026-11-25`,
    // `2026/11/25`).
    partitionStart: (p) => {
      const segments = p.split('/').slice(0, -1);
      for (let i = 1; i <= segments.length; i++) {
        try {
          const start = run.strategy.features?.partitionStart?.(segments.slice(0, i).join('/'));
          if (start) return start;
        } catch {
          // not a partition id
        }
      }
      return undefined;
    },
  };
}
