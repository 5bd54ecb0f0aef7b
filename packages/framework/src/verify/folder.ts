/**
 * Verifies one unit — a partition's folder, or one top-level folder of the source with
 * `--all` — against the objects under its key prefix: one paged ListObjectsV2 of the prefix
 * (the same one listing per partition that sync's remote check makes), held as key → object for
 * that unit only, then a walk of the local folder, one sub-folder at a time. Each local file is
 * checked at the run's level (check-file.ts); objects no file claimed are extras. Memory is
 * bounded by the largest unit (a day, a camera folder), never by the bucket.
 *
 * The source root's own files (with `--all`) are checked against a `/`-delimited listing of the
 * job prefix, whose sub-prefixes with no local folder are listed and reported as extras.
 *
 * Files in the pending set and files the filters skip (include/exclude, settle time) are not
 * expected in the bucket and are not findings. With a custom `key` hook, keys need not follow
 * the folder layout: files whose key is outside the unit's prefix are checked with HEAD, and
 * extras are not reported (nothing says which local file an object belongs to).
 *
 * A shard (`--shard I/N`) keeps only the objects whose key it owns from the listing and checks
 * only the local files whose key it owns: its siblings' files are neither counted nor hashed,
 * and their objects are never extras. Every shard still lists and walks the whole unit.
 */
import { mapUnordered } from '../concurrency.js';
import type { PartitionInfo } from '../hooks.js';
import type { FileCandidate } from '../strategy.js';
import type { ListedObject } from '../s3/reader.js';
import { checkFile, type LocalFile, type Listed } from './check-file.js';
import { FolderChecksums } from './checksum-cache.js';
import type { VerifyContext } from './context.js';
import { REPAIRABLE, type Finding } from './findings.js';
import { readLocalFolder, type Place } from './local-folder.js';
import type { RepairOutcome } from './repair.js';

export type VerifyItem =
  | { readonly type: 'finding'; readonly finding: Finding }
  | { readonly type: 'repair'; readonly repair: RepairOutcome }
  | { readonly type: 'folder'; readonly folder: FolderResult };

/** One unit's counts: a row of the table. */
export interface FolderResult {
  readonly unit: string;
  readonly folder: string;
  /** Local files checked, and skipped (pending, filtered, symlinks, special files). */
  readonly files: number;
  readonly skipped: number;
  readonly objects: number;
  readonly findings: number;
  readonly bytesRead: number;
  /** Local checksums taken from the cache, and files read to compute one. */
  readonly cachedHashes: number;
  readonly readHashes: number;
}

export type RepairFn = (
  file: LocalFile,
  key: string,
  findings: Finding[],
  exists: boolean,
) => Promise<RepairOutcome>;

/**
 * The unit's objects, keyed by their key relative to `prefix`. Start it early: units are listed
 * ahead.
 */
export async function listUnit(
  ctx: VerifyContext,
  prefix: string,
  options: { delimiter: boolean },
): Promise<{ objects: Map<string, ListedObject>; folders: string[] }> {
  const objects = new Map<string, ListedObject>();
  const folders: string[] = [];
  for await (const o of ctx.reader.listObjects(prefix, {
    delimiter: options.delimiter,
    signal: ctx.signal,
  })) {
    const rel = o.key.slice(prefix.length);
    if (o.folder) folders.push(rel.replace(/\/$/, ''));
    else if (
      rel !== '' &&
      ctx.owns(o.key) &&
      !ctx.ownKeys(o.key) &&
      !(rel.endsWith('/') && o.size === 0)
    )
      objects.set(rel, o);
  }
  return { objects, folders };
}

export function prefixOf(ctx: VerifyContext, rel: string): string {
  return ctx.job.target.prefix + (rel ? `${rel}/` : '');
}

export interface UnitOptions {
  readonly unit: string;
  readonly place: Place;
  /** Sub-folders too (a unit), or only the folder's own files (the source root with --all). */
  readonly recursive: boolean;
  readonly listing: Promise<{ objects: Map<string, ListedObject>; folders: string[] }>;
  readonly repair?: RepairFn;
}

/** Checks a unit; returns the local sub-folders it did not descend into (non-recursive only). */
export async function* checkUnit(
  ctx: VerifyContext,
  options: UnitOptions,
): AsyncGenerator<VerifyItem, Place[]> {
  const { unit } = options;
  const unitRel = options.place.rel;
  const prefix = prefixOf(ctx, unitRel);
  const { objects, folders: remoteFolders } = await options.listing;
  const totals = {
    files: 0,
    skipped: 0,
    objects: objects.size,
    findings: 0,
    bytesRead: 0,
    cachedHashes: 0,
    readHashes: 0,
  };
  const info: PartitionInfo = {
    job: ctx.job.name,
    index: 0,
    id: unit,
    closed: true,
    recheck: true,
  };
  const stack: Place[] = [options.place];
  let topFolders: Place[] = [];
  while (stack.length > 0) {
    if (ctx.signal.aborted) return [];
    const place = stack.pop()!;
    const rel = place.rel;
    const local = await readLocalFolder(ctx.job.source, place, {
      followSymlinks: ctx.job.followSymlinks,
    });
    if (options.recursive) stack.push(...local.folders.reverse());
    else topFolders = local.folders;
    totals.skipped += local.skipped;
    const cache =
      ctx.level === 'list'
        ? undefined
        : await FolderChecksums.open(ctx.checksumCache, rel, { rehash: ctx.rehash });
    const checkOne = async (file: LocalFile): Promise<VerifyItem[]> => {
      const candidate: FileCandidate = {
        path: file.path,
        size: file.size,
        mtimeMs: file.mtimeMs,
        ...(file.rawPath ? { rawPath: file.rawPath } : {}),
      };
      const key = ctx.hooks.key.call(ctx.job.target.prefix + file.path, candidate);
      if (!ctx.owns(key)) return []; // another shard's file
      const inUnit = key.startsWith(prefix);
      const listed: Listed = inUnit ? objects.get(key.slice(prefix.length)) : 'unknown';
      if (inUnit) objects.delete(key.slice(prefix.length));
      if (
        ctx.pending.has(file.path) ||
        (await ctx.hooks.filter.promise(candidate, {
          job: ctx.job.name,
          partition: info,
          now: ctx.now.getTime(),
        }))
      ) {
        totals.skipped++;
        cache?.keep(file.name, file);
        return [];
      }
      totals.files++;
      const result = await checkFile(ctx, unit, file, key, listed, cache);
      const items: VerifyItem[] = result.findings.map((finding) => ({ type: 'finding', finding }));
      totals.findings += result.findings.filter((f) => f.kind !== 'note').length;
      totals.bytesRead += result.bytesRead;
      if (options.repair && result.findings.some((f) => REPAIRABLE.has(f.kind))) {
        items.push({
          type: 'repair',
          repair: await options.repair(file, key, result.findings, result.exists),
        });
      }
      return items;
    };
    // Keys are claimed from `objects` as files are taken, before any extra is reported.
    for await (const items of mapUnordered(local.files, ctx.concurrency, checkOne)) yield* items;
    if (cache) {
      await cache.save(rel);
      totals.cachedHashes += cache.hits;
      totals.readHashes += cache.misses;
    }
  }
  if (!ctx.customKeys) {
    for (const [rel, o] of objects) {
      totals.findings++;
      yield {
        type: 'finding',
        finding: {
          kind: 'extra',
          unit,
          key: prefix + rel,
          detail: 'an object with no local file',
          actual: String(o.size),
        },
      };
    }
    yield* remoteOnlyFolders(ctx, {
      unit,
      prefix,
      remoteFolders,
      localFolders: topFolders.map((f) => f.rel.split('/').pop()!),
      totals,
    });
  }
  yield { type: 'folder', folder: { unit, folder: unitRel, ...totals } };
  return topFolders;
}

/** With a delimited listing: sub-prefixes with no local folder hold only extras. */
async function* remoteOnlyFolders(
  ctx: VerifyContext,
  o: {
    unit: string;
    prefix: string;
    remoteFolders: string[];
    localFolders: string[];
    totals: { findings: number };
  },
): AsyncGenerator<VerifyItem> {
  const local = new Set(o.localFolders);
  for (const name of o.remoteFolders) {
    if (local.has(name)) continue;
    for await (const obj of ctx.reader.listObjects(`${o.prefix}${name}/`, { signal: ctx.signal })) {
      if (!ctx.owns(obj.key) || ctx.ownKeys(obj.key) || (obj.key.endsWith('/') && obj.size === 0))
        continue;
      o.totals.findings++;
      yield {
        type: 'finding',
        finding: {
          kind: 'extra',
          unit: o.unit,
          key: obj.key,
          detail: 'an object with no local file (its folder does not exist locally)',
          actual: String(obj.size),
        },
      };
    }
  }
}
