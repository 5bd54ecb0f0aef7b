/**
 * Filter: what a candidate file becomes before anyone asks the bucket. In order: another shard's
 * file is dropped; a refused entry (strategy refusal, bad path), an unreadable file or folder,
 * a name that cannot be a key, a vanished or missing pending entry get their final action here;
 * then the `key` hook names the object and the `filter` hooks may exclude or defer the file.
 * What passes is planned as `upload`; the remote check (./remote-check.ts) may turn it into
 * `present`.
 */
import type { PartitionInfo } from '../hooks.js';
import type { FileCandidate } from '../strategy.js';
import { ownsKey } from '../shard.js';
import { keyProblem, localPath, pathRefusal, strategyRefusalCode } from './paths.js';
import type { RetryCandidate } from './pending.js';
import type { PlanContext, PlanFile } from './plan.js';

/** The file's planned item, or `undefined` when it is another shard's. */
export async function filterFile(
  ctx: PlanContext,
  info: PartitionInfo,
  file: FileCandidate | RetryCandidate,
): Promise<PlanFile | undefined> {
  // Scale-out (see ../shard.ts): another shard's file is not this run's business at all. An entry
  // without a key is owned by the hash of the key it would have; an unreadable folder by every shard.
  const mine = (key: string) => ownsKey(ctx.job.shard, key);
  const defaultKey = ctx.job.target.prefix + file.path;
  if (
    (file.refused || (file.unreadable && !file.unreadable.folder) || pathRefusal(file.path)) &&
    !mine(defaultKey)
  )
    return undefined;
  const partition = ('partitionId' in file && file.partitionId) || info.id;
  const base = {
    type: 'file' as const,
    partitionIndex: info.index,
    partition,
    path: file.path,
    size: file.size,
    mtimeMs: file.mtimeMs,
    ...(file.rawPath ? { rawPath: file.rawPath } : {}),
  };
  const origin = file.origin ? ` (${file.origin})` : '';
  if (file.refused)
    return {
      ...base,
      key: '',
      action: 'refused',
      code: strategyRefusalCode(file),
      reason: `${file.refused}${origin}`,
    };
  if (file.unreadable) return unreadableItem(ctx, base, file.unreadable);
  const badPath = pathRefusal(file.path);
  if (badPath)
    return {
      ...base,
      key: '',
      action: 'refused',
      code: badPath.code,
      reason: `${badPath.reason}${origin}`,
    };
  const key = ctx.hooks.key.call(defaultKey, file);
  if (!mine(key)) return undefined;
  const badKey = keyProblem(key);
  if (badKey) {
    const reason = `cannot be uploaded under this name: ${badKey}; rename the file, exclude it, or map its key with a key hook plugin`;
    return { ...base, key, action: 'failed', code: 'E_FILE_BAD_KEY', reason };
  }
  if ('vanished' in file && file.vanished)
    return { ...base, key, action: 'vanished', reason: file.reason ?? 'no longer exists locally' };
  if (file.missing)
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

function unreadableItem(
  ctx: PlanContext,
  base: Omit<PlanFile, 'key' | 'action'>,
  problem: { error: string; folder: boolean },
): PlanFile {
  const where = localPath(ctx.job.source, base).toString();
  if (problem.folder) {
    const reason = `folder cannot be read (${problem.error}): ${where}; its files are not backed up until it can be (fix the permissions)`;
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
