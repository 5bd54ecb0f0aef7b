/**
 * Verifies one local folder against the objects directly under its key prefix: one
 * ListObjectsV2 with a `/` delimiter (paged), so only this folder's objects are held in memory,
 * whatever the size of the bucket. Each local file is checked at the run's level (see
 * check-file.ts); objects left over are extras; object "sub-folders" with no local folder are
 * listed whole and reported as extras too. Returns the local sub-folders to descend into.
 *
 * Files in the pending set and files the filters skip (include/exclude, settle time) are not
 * expected in the bucket and are not findings. With a custom `key` hook, keys need not follow
 * the folder layout: files whose key is outside the folder's prefix are checked with HEAD, and
 * extras are not reported (nothing says which local file an object belongs to).
 */
import { mapUnordered } from '../concurrency.js';
import type { PartitionInfo } from '../hooks.js';
import type { FileCandidate } from '../strategy.js';
import type { ListedObject } from '../s3/reader.js';
import { checkFile, type LocalFile, type Listed } from './check-file.js';
import { FolderChecksums } from './checksum-cache.js';
import type { VerifyContext } from './context.js';
import { REPAIRABLE, type Finding } from './findings.js';
import { readLocalFolder } from './local-folder.js';
import type { RepairOutcome } from './repair.js';

export type VerifyItem =
  | { readonly type: 'finding'; readonly finding: Finding }
  | { readonly type: 'repair'; readonly repair: RepairOutcome }
  | { readonly type: 'folder'; readonly folder: FolderResult };

export interface FolderResult {
  readonly unit: string;
  readonly folder: string;
  /** Local files checked, and skipped (pending, filtered). */
  readonly files: number;
  readonly skipped: number;
  readonly objects: number;
  readonly findings: number;
  readonly bytesRead: number;
  /** Local checksums taken from the cache, and files read to compute one. */
  readonly cachedHashes: number;
  readonly readHashes: number;
}

export interface FolderOptions {
  readonly unit: string;
  readonly rel: string;
  readonly repair?: (file: LocalFile, key: string, findings: Finding[], exists: boolean) => Promise<RepairOutcome>;
}

export async function* checkFolder(ctx: VerifyContext, options: FolderOptions): AsyncGenerator<VerifyItem, string[]> {
  const { rel, unit } = options;
  const local = await readLocalFolder(ctx.job.source, rel, { followSymlinks: ctx.job.followSymlinks });
  const prefix = ctx.job.target.prefix + (rel ? `${rel}/` : '');
  const objects = new Map<string, ListedObject>();
  const remoteFolders = new Set<string>();
  for await (const o of ctx.reader.listObjects(prefix, { delimiter: true, signal: ctx.signal })) {
    const name = o.key.slice(prefix.length);
    if (o.folder) remoteFolders.add(name.replace(/\/$/, ''));
    else objects.set(name, o);
  }
  const objectCount = objects.size;
  const cache = ctx.level === 'list' ? undefined : await FolderChecksums.open(ctx.checksumCache, rel, { rehash: ctx.rehash });
  const info: PartitionInfo = { job: ctx.job.name, index: 0, id: unit, closed: true, recheck: true };
  let skipped = local.skipped;
  let findings = 0;
  let bytesRead = 0;
  const checkOne = async (file: LocalFile): Promise<{ items: VerifyItem[] }> => {
    const candidate: FileCandidate = { path: file.path, size: file.size, mtimeMs: file.mtimeMs };
    const key = ctx.hooks.key.call(ctx.job.target.prefix + file.path, candidate);
    const listed: Listed = key === prefix + file.name ? objects.get(file.name) : 'unknown';
    if (key === prefix + file.name) objects.delete(file.name);
    if (ctx.pending.has(file.path) || (await ctx.hooks.filter.promise(candidate, { job: ctx.job.name, partition: info, now: ctx.now.getTime() }))) {
      skipped++;
      cache?.keep(file.name, file);
      return { items: [] };
    }
    const result = await checkFile(ctx, unit, file, key, listed, cache);
    const items: VerifyItem[] = result.findings.map((finding) => ({ type: 'finding', finding }));
    findings += result.findings.filter((f) => f.kind !== 'note').length;
    bytesRead += result.bytesRead;
    if (options.repair && result.findings.some((f) => REPAIRABLE.has(f.kind))) {
      items.push({ type: 'repair', repair: await options.repair(file, key, result.findings, result.exists) });
    }
    return { items };
  };
  // Keys are claimed from `objects` as files are taken, before any extra is reported.
  for await (const { items } of mapUnordered(local.files, ctx.concurrency, checkOne)) yield* items;
  await cache?.save(rel);
  if (!ctx.customKeys) {
    for (const [name, o] of objects) {
      if (name === '' || ctx.ownKeys(o.key) || (name.endsWith('/') && o.size === 0)) continue;
      findings++;
      yield { type: 'finding', finding: { kind: 'extra', unit, key: o.key, detail: 'an object with no local file', actual: String(o.size) } };
    }
    const localFolders = new Set(local.folders);
    for (const name of remoteFolders) {
      if (localFolders.has(name)) continue;
      for await (const o of ctx.reader.listObjects(`${prefix}${name}/`, { signal: ctx.signal })) {
        if (ctx.ownKeys(o.key) || (o.key.endsWith('/') && o.size === 0)) continue;
        findings++;
        yield { type: 'finding', finding: { kind: 'extra', unit, key: o.key, detail: 'an object with no local file (its folder does not exist locally)', actual: String(o.size) } };
      }
    }
  }
  const files = local.files.length - (skipped - local.skipped);
  yield { type: 'folder', folder: { unit, folder: rel, files, skipped, objects: objectCount, findings, bytesRead, cachedHashes: cache?.hits ?? 0, readHashes: cache?.misses ?? 0 } };
  return local.folders.map((name) => (rel ? `${rel}/${name}` : name));
}
