/**
 * Filter: what a candidate file becomes before anyone asks the bucket. In order: another shard's
 * file is dropped; a refused entry (strategy refusal, bad path), an unreadable file or folder,
 * a name that cannot be a key, a vanished or missing pending entry get their final action here;
 * then the `key` hook names the object and the `filter` hooks may exclude or defer the file.
 * What passes is planned as `upload`; the remote check (./remote-check.ts) may turn it into
 * `present`.
 */
import type { PartitionInfo } from '../hooks.js';
import { ownsKey } from '../shard.js';
import { keyProblem, localPath, pathRefusal, strategyRefusalCode } from './paths.js';
import type { RetryCandidate } from './pending.js';
import type { PlanContext, PlanFile } from './plan.js';

/** Candidate kinds the engine knows besides files (`vanished` comes from the pending pass). */
const KNOWN_KINDS: ReadonlySet<string> = new Set(['missing', 'refused', 'unreadable', 'vanished']);

/** The file's planned item, or `undefined` when it is another shard's. */
export async function filterFile(
  ctx: PlanContext,
  info: PartitionInfo,
  file: RetryCandidate,
): Promise<PlanFile | undefined> {
  // Scale-out (see ../shard.ts): another shard's file is not this run's business at all. An entry
  // without a key is owned by the hash of the key it would have; an unreadable folder by every
  // shard.
  const mine = (key: string) => ownsKey(ctx.job.shard, key);
  const defaultKey = ctx.job.target.prefix + file.path;
  if (
    (file.kind === 'refused' ||
      (file.kind === 'unreadable' && !file.folder) ||
      pathRefusal(file.path)) &&
    !mine(defaultKey)
  )
    return undefined;
  const partition = file.partitionId || info.id;
  const isFile = file.kind === undefined || file.kind === 'file';
  if (!isFile && !KNOWN_KINDS.has(file.kind)) {
    // A strategy bug (a misspelt kind from a JavaScript plugin): never guess what it meant, and
    // never let it pass as done. The entry fails and stays pending until the strategy is fixed.
    const kind = String(file.kind);
    if (!mine(defaultKey)) return undefined;
    return {
      type: 'file',
      partitionIndex: info.index,
      partition,
      path: file.path,
      size: 0,
      mtimeMs: 0,
      key: defaultKey,
      action: 'failed',
      code: 'E_PARTITION',
      reason:
        `the strategy gave an entry of unknown kind "${kind}" (known: file, missing, refused, ` +
        "unreadable); it stays pending: report it to the strategy's authors",
    };
  }
  const base = {
    type: 'file' as const,
    partitionIndex: info.index,
    partition,
    path: file.path,
    size: isFile ? file.size : 0,
    mtimeMs: isFile ? file.mtimeMs : 0,
    ...(file.rawPath ? { rawPath: file.rawPath } : {}),
  };
  const origin = 'origin' in file && file.origin ? ` (${file.origin})` : '';
  if (file.kind === 'refused')
    return {
      ...base,
      key: '',
      action: 'refused',
      code: strategyRefusalCode(file),
      reason: `${file.reason}${origin}`,
    };
  if (file.kind === 'unreadable') return unreadableItem(ctx, base, file);
  const badPath = pathRefusal(file.path);
  if (badPath)
    return {
      ...base,
      key: '',
      action: 'refused',
      code: badPath.code,
      reason: `${badPath.reason}${origin}`,
    };
  if (file.kind === 'vanished') {
    const gone = { path: file.path, size: 0, mtimeMs: 0, rawPath: file.rawPath };
    const key = ctx.hooks.key.call(defaultKey, gone);
    if (!mine(key)) return undefined;
    const badKey = keyProblem(key);
    if (badKey) return badKeyItem(base, key, badKey);
    return { ...base, key, action: 'vanished', reason: file.reason ?? 'no longer exists locally' };
  }
  const key = ctx.hooks.key.call(defaultKey, file);
  if (!mine(key)) return undefined;
  const badKey = keyProblem(key);
  if (badKey) return badKeyItem(base, key, badKey);
  if (file.kind === 'missing')
    return {
      ...base,
      key,
      action: 'deferred',
      reason: `${file.waiting ?? 'not found yet'}${origin}`,
    };
  const skip = await ctx.hooks.filter.promise(file, {
    job: ctx.job.name,
    partition: info,
    now: ctx.now.getTime(),
  });
  if (skip) return { ...base, key, action: skip.outcome, reason: skip.reason };
  return { ...base, key, action: 'upload' };
}

function badKeyItem(
  base: Omit<PlanFile, 'key' | 'action'>,
  key: string,
  problem: string,
): PlanFile {
  const reason =
    `cannot be uploaded under this name: ${problem}; rename the file, exclude it, ` +
    'or map its key with a key hook plugin';
  return { ...base, key, action: 'failed', code: 'E_FILE_BAD_KEY', reason };
}

function unreadableItem(
  ctx: PlanContext,
  base: Omit<PlanFile, 'key' | 'action'>,
  problem: { readonly error: string; readonly folder: boolean },
): PlanFile {
  const where = localPath(ctx.job.source, base).toString();
  if (problem.folder) {
    const reason =
      `folder cannot be read (${problem.error}): ${where}; its files are not backed ` +
      'up until it can be (fix the permissions)';
    return {
      ...base,
      key: '',
      action: 'failed',
      code: 'E_FOLDER_UNREADABLE',
      folder: true,
      reason,
    };
  }
  const reason = `cannot be read (${problem.error}): ${where} (fix the permissions)`;
  return { ...base, key: '', action: 'failed', code: 'E_FILE_READ', reason };
}
