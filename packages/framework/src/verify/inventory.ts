/**
 * `verify --inventory s3://…/manifest.json`: the listing-level check (existence, size, objects
 * with no local file) plus retention, storage class and encryption, read from an S3 Inventory
 * report instead of listing the bucket: at millions of objects the cheap way to check the
 * whole bucket (an inventory costs a fraction of a cent per million objects; a listing is one
 * request per 1,000). Inventories carry no checksum values: checksum checks stay with --head
 * and --deep.
 *
 * Memory stays flat: the report's rows (this job's bucket and prefix) and the local files (a
 * walk of the whole source) are both spilled to temp files in 64 shards by path, then compared
 * shard by shard, so only 1/64 of the larger side is in memory at a time.
 *
 * With `--shard I/N` only the rows and local files whose key that shard owns are compared (the
 * whole report is still read, and the whole source walked, by every shard).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ResolvedJob } from '../config/resolve.js';
import { prepareRun } from '../engine/prepare.js';
import { walkFiles } from '../fs/walk.js';
import type { PartitionInfo } from '../hooks.js';
import { isCandidateFile } from '../strategy.js';
import { createS3Target, type S3Target } from '../s3/target.js';
import { classNote, retention, type Adder } from './check-file.js';
import type { VerifyContext } from './context.js';
import { emptyFindingCounts, failing, type Finding } from './findings.js';
import type { VerifyItem } from './folder.js';
import { inventoryRows, parseS3Url, readInventoryManifest } from './inventory-report.js';
import { contextOf, sharded, type VerifyRun } from './run.js';
import { exitCodeOf } from '../engine/outcome.js';

const SHARDS = 64;

/** [path, size, storageClass, retainUntil, encryption, lastModified] */
type RemoteLine = [
  string,
  number | null,
  string | null,
  string | null,
  string | null,
  string | null,
];
/** [path, size, mtimeMs] */
type LocalLine = [string, number, number];

class Shards {
  private readonly streams: WriteStream[];
  constructor(
    readonly dir: string,
    readonly side: string,
  ) {
    this.streams = Array.from({ length: SHARDS }, (_, i) =>
      createWriteStream(path.join(dir, `${side}-${i}.jsonl`)),
    );
  }
  static of(rel: string): number {
    return createHash('md5').update(rel).digest()[0] % SHARDS;
  }
  async write(rel: string, line: unknown[]): Promise<void> {
    const stream = this.streams[Shards.of(rel)];
    if (!stream.write(`${JSON.stringify(line)}\n`)) await once(stream, 'drain');
  }
  async close(): Promise<void> {
    await Promise.all(
      this.streams.map(
        (s) =>
          new Promise<void>((resolve, reject) =>
            s.end((e?: Error | null) => (e ? reject(e) : resolve())),
          ),
      ),
    );
  }
}

async function* lines<T>(file: string): AsyncGenerator<T> {
  for await (const text of createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Infinity,
  }))
    if (text) yield JSON.parse(text) as T;
}

export async function openInventoryCheck(
  job: ResolvedJob,
  options: {
    url: string;
    now?: Date;
    target?: S3Target;
    inventoryTarget?: S3Target;
    signal?: AbortSignal;
  },
): Promise<VerifyRun> {
  const { bucket, key } = parseS3Url(options.url);
  const target = options.target ?? (await createS3Target(job.target, { maxSockets: 16 }));
  const reports =
    options.inventoryTarget ??
    (bucket === job.target.bucket
      ? target
      : await createS3Target({ ...job.target, bucket }, { maxSockets: 8 }));
  const run = await prepareRun(job, 'plan', {
    target,
    ...(options.now ? { now: options.now } : {}),
  });
  const ctx = contextOf(run, target, {
    level: 'list',
    rehash: false,
    signal: options.signal ?? new AbortController().signal,
    concurrency: 8,
  });
  const counts = emptyFindingCounts();
  const totals = { files: 0, objects: 0, skipped: 0 };
  let complete = false;
  const scope = `inventory ${options.url}`;
  const items = (async function* (): AsyncGenerator<VerifyItem> {
    const manifest = await readInventoryManifest(reports, key);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-inventory-'));
    try {
      await spillRemote(ctx, reports, manifest, dir, totals);
      await spillLocal(ctx, dir, totals);
      for (let shard = 0; shard < SHARDS; shard++) {
        for await (const finding of compareShard(ctx, dir, shard)) {
          counts[finding.kind]++;
          yield { type: 'finding', finding };
        }
      }
      yield {
        type: 'folder',
        folder: {
          unit: 'inventory',
          folder: 'inventory',
          files: totals.files,
          skipped: totals.skipped,
          objects: totals.objects,
          findings: failing(counts),
          bytesRead: 0,
          cachedHashes: 0,
          readHashes: 0,
        },
      };
      complete = !ctx.signal.aborted;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  const shard = sharded(job);
  return {
    scope,
    ...(shard ? { shard } : {}),
    level: 'list',
    estimate: async () => ({
      objects: 0,
      bytes: 0,
      listRequests: 0,
      headRequests: 0,
      getRequests: 0,
      bytesToDownload: 0,
      seconds: 0,
    }),
    items,
    summary: () => ({
      job: job.name,
      ...(shard ? { shard } : {}),
      level: 'list',
      scope,
      folders: 1,
      ...totals,
      bytesRead: 0,
      cachedHashes: 0,
      readHashes: 0,
      findings: counts,
      repairs: { uploaded: 0, notReplaced: 0, failed: 0 },
      interrupted: !complete,
      exitCode: exitCodeOf({ interrupted: !complete, owed: failing(counts) }),
    }),
    async dispose() {
      run.dispose();
      if (reports !== target && !options.inventoryTarget) reports.destroy();
      if (!options.target) target.destroy();
    },
  };
}

async function spillRemote(
  ctx: VerifyContext,
  reports: S3Target,
  manifest: Awaited<ReturnType<typeof readInventoryManifest>>,
  dir: string,
  totals: { objects: number },
): Promise<void> {
  const shards = new Shards(dir, 'remote');
  const { prefix, bucket } = ctx.job.target;
  try {
    for await (const row of inventoryRows(reports, manifest)) {
      if (
        (row.bucket && row.bucket !== bucket) ||
        !row.key.startsWith(prefix) ||
        ctx.ownKeys(row.key) ||
        !ctx.owns(row.key) // another shard's object
      )
        continue;
      if (row.key.endsWith('/') && !row.size) continue; // a folder marker
      const rel = row.key.slice(prefix.length);
      totals.objects++;
      await shards.write(rel, [
        rel,
        row.size ?? null,
        row.storageClass ?? null,
        row.retainUntil?.toISOString() ?? null,
        row.encryption ?? null,
        row.lastModified?.toISOString() ?? null,
      ] satisfies RemoteLine);
    }
  } finally {
    await shards.close();
  }
}

async function spillLocal(
  ctx: VerifyContext,
  dir: string,
  totals: { files: number; skipped: number },
): Promise<void> {
  const shards = new Shards(dir, 'local');
  const info: PartitionInfo = {
    job: ctx.job.name,
    index: 0,
    id: 'inventory',
    closed: true,
    recheck: true,
  };
  try {
    for await (const file of walkFiles(ctx.job.source, {
      source: ctx.job.source,
      followSymlinks: ctx.job.followSymlinks,
      signal: ctx.signal,
    })) {
      if (!isCandidateFile(file)) {
        totals.skipped++; // an unreadable folder or file: no local file to compare
        continue;
      }
      const key = ctx.hooks.key.call(ctx.job.target.prefix + file.path, file);
      if (!ctx.owns(key)) continue; // another shard's file
      if (
        ctx.pending.has(file.path) ||
        (await ctx.hooks.filter.promise(file, {
          job: ctx.job.name,
          partition: info,
          now: ctx.now.getTime(),
        }))
      ) {
        totals.skipped++;
        continue;
      }
      const rel = key.startsWith(ctx.job.target.prefix)
        ? key.slice(ctx.job.target.prefix.length)
        : key;
      totals.files++;
      await shards.write(rel, [rel, file.size, file.mtimeMs] satisfies LocalLine);
    }
  } finally {
    await shards.close();
  }
}

async function* compareShard(
  ctx: VerifyContext,
  dir: string,
  shard: number,
): AsyncGenerator<Finding> {
  const remote = new Map<string, RemoteLine>();
  for await (const line of lines<RemoteLine>(path.join(dir, `remote-${shard}.jsonl`)))
    remote.set(line[0], line);
  const unit = 'inventory';
  for await (const [rel, size, mtimeMs] of lines<LocalLine>(
    path.join(dir, `local-${shard}.jsonl`),
  )) {
    const key = ctx.job.target.prefix + rel;
    const row = remote.get(rel);
    remote.delete(rel);
    const found: Finding[] = [];
    const add: Adder = (kind, detail, extra = {}) =>
      found.push({ kind, unit, key, path: rel, detail, ...extra });
    if (!row) add('missing', 'no object for this file in the inventory');
    else {
      if (row[1] !== null && row[1] !== size)
        add('size', 'the object is not the size of the local file', {
          expected: String(size),
          actual: String(row[1]),
        });
      retention(
        ctx,
        { path: rel, mtimeMs },
        {
          ...(row[3] ? { retainUntil: new Date(row[3]) } : {}),
          ...(row[5] ? { lastModified: new Date(row[5]) } : {}),
        },
        add,
      );
      classNote(ctx, row[2] ?? undefined, add);
      if (ctx.job.target.sse && row[4] === 'NOT-SSE')
        add('not-encrypted', `not encrypted, but target.sse asks for ${ctx.job.target.sse.type}`, {
          expected: ctx.job.target.sse.type,
          actual: 'NOT-SSE',
        });
    }
    yield* found;
  }
  if (ctx.customKeys) return; // keys need not follow the folder layout: extras cannot be told
  for (const [rel, size] of remote.values())
    yield {
      kind: 'extra',
      unit,
      key: ctx.job.target.prefix + rel,
      detail: 'an object with no local file',
      ...(size !== null ? { actual: String(size) } : {}),
    };
}
