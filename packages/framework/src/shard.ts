/**
 * Scale-out: which shard a file belongs to, and which shard this process is.
 *
 * A job run as N shards (a Kubernetes Indexed Job, an AWS Batch array job) has every process
 * walk the same partitions and keep only its own share: a file belongs to shard
 * `shardOfKey(objectKey, N)`. The hash is part of the product's contract (changing it would
 * reassign files between shards and their cursors), so it is fixed and documented:
 *
 *   shard = (first 8 bytes of SHA-256(UTF-8 bytes of the object key), big-endian) mod N
 *
 * The object key is the one the file is uploaded under (target prefix + path, after any `key`
 * hook). An entry that has no key (a refused path) is hashed by `prefix + path`. It does not
 * depend on the strategy, the partition or the file's date, so every strategy shards the same
 * way, even when a whole night is one partition. With N = 1 there is no sharding at all.
 */
import { createHash } from 'node:crypto';
import { RecsyncError } from './errors.js';

export interface ShardSpec {
  /** This process's shard, from 0. */
  readonly index: number;
  /** How many shards the job runs as (1 = not sharded). */
  readonly count: number;
}

/** Upper bound on N: far above what one bucket's request rate makes useful. */
export const MAX_SHARDS = 1000;

/** The shard (0 … count-1) an object key belongs to. Stable across releases (see above). */
export function shardOfKey(key: string, count: number): number {
  if (count <= 1) return 0;
  const digest = createHash('sha256').update(key, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(count));
}

/** True when `key` belongs to this process's shard (always, when not sharded). */
export function ownsKey(shard: ShardSpec | undefined, key: string): boolean {
  return !shard || shard.count <= 1 || shardOfKey(key, shard.count) === shard.index;
}

/** The environment variables `--shard auto` reads the index from, in this order. */
export const SHARD_INDEX_VARIABLES = ['JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX'] as const;

export interface ShardRequest {
  /** `--shard`: `I/N`, `I` (with N from elsewhere) or `auto`. */
  readonly shard?: string;
  /** `--shards`. */
  readonly shards?: number;
}

/**
 * This process's shard for a job: from `--shard` (`I/N`, or `auto` = the scheduler's index
 * variable), N from `--shard I/N`, `--shards` or the job's `shards` setting. Every source of N
 * that is given must agree (else E_USAGE, exit 2). A job configured with `shards` > 1 must be
 * run with `--shard`: running it whole would keep a cursor no shard knows about.
 * Undefined when the job is not sharded.
 */
export function resolveShard(
  job: { readonly name: string; readonly shards?: number },
  request: ShardRequest,
  env: NodeJS.ProcessEnv = process.env,
): ShardSpec | undefined {
  const raw = request.shard?.trim();
  const fromFlag = raw && raw !== 'auto' ? parseShardFlag(raw) : undefined;
  const counts = [
    fromFlag?.count !== undefined ? { n: fromFlag.count, from: `--shard ${raw}` } : undefined,
    request.shards !== undefined
      ? { n: request.shards, from: `--shards ${request.shards}` }
      : undefined,
    job.shards !== undefined
      ? { n: job.shards, from: `the job's setting shards: ${job.shards} (jobs.${job.name}.shards)` }
      : undefined,
  ].filter((c): c is { n: number; from: string } => c !== undefined);
  for (const c of counts) checkCount(c.n, c.from);
  const disagree = counts.find((c) => c.n !== counts[0].n);
  if (disagree) {
    throw usage(
      `job "${job.name}": ${counts[0].from} and ${disagree.from} name different shard counts`,
      "give the shard count once (--shards or the job's shards setting), or make them agree",
    );
  }
  const count = counts[0]?.n;
  if (raw === undefined || raw === '') {
    if (count !== undefined && count > 1) {
      throw usage(
        `job "${job.name}" runs as ${count} shards (${counts[0].from}) but no --shard was given`,
        `run each shard with --shard I/${count} (I from 0 to ${count - 1}), or --shard ` +
          'auto in a Kubernetes Indexed Job or AWS Batch array job',
      );
    }
    return undefined;
  }
  if (count === undefined) {
    throw usage(
      `--shard ${raw} needs the number of shards`,
      `give it as --shard I/N, with --shards N, or as shards: N in the job "${job.name}"`,
    );
  }
  const index = fromFlag ? fromFlag.index : indexFromEnv(env);
  if (index >= count) {
    throw usage(
      `shard index ${index} is out of range for ${count} shards (indexes run from 0 to ` +
        `${count - 1})`,
      'check the completions / array size against the shard count',
    );
  }
  return count > 1 ? { index, count } : undefined;
}

function parseShardFlag(raw: string): { index: number; count?: number } {
  const match = /^(\d+)(?:\/(\d+))?$/.exec(raw);
  if (!match)
    throw usage(
      `--shard ${JSON.stringify(raw)} is not a shard`,
      'write --shard I/N (I from 0, e.g. --shard 2/8), --shard I with --shards N, or --shard auto',
    );
  return {
    index: Number(match[1]),
    ...(match[2] !== undefined ? { count: Number(match[2]) } : {}),
  };
}

function checkCount(n: number, from: string): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS)
    throw usage(
      `${from}: the shard count must be a whole number from 1 to ${MAX_SHARDS}`,
      'fix the shard count',
    );
}

function indexFromEnv(env: NodeJS.ProcessEnv): number {
  for (const name of SHARD_INDEX_VARIABLES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (!/^\d+$/.test(value.trim()))
      throw usage(
        `${name}=${JSON.stringify(value)} is not a shard index`,
        `${name} should be set by the scheduler to a whole number from 0`,
      );
    return Number(value.trim());
  }
  throw usage(
    `--shard auto found no shard index: neither ${SHARD_INDEX_VARIABLES.join(' nor ')} is set`,
    'run it as a Kubernetes Indexed Job (completionMode: Indexed) or an AWS Batch array ' +
      'job, or give --shard I/N',
  );
}

/** The suffix shard files carry: `.shard-2-of-8` (none when not sharded). */
export function shardSuffix(shard: ShardSpec | undefined): string {
  return shard && shard.count > 1 ? `.shard-${shard.index}-of-${shard.count}` : '';
}

/** Reads `shard-I-of-N` back from a state file or object name, for `status` and N-change checks. */
export function parseShardSuffix(
  name: string,
  job: string,
  ending: string,
): ShardSpec | null | undefined {
  if (name === `${job}${ending}`) return null; // the unsharded state
  const match = new RegExp(
    `^${escapeRegExp(job)}\\.shard-(\\d+)-of-(\\d+)${escapeRegExp(ending)}$`,
  ).exec(name);
  return match ? { index: Number(match[1]), count: Number(match[2]) } : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function usage(message: string, hint: string): RecsyncError {
  return new RecsyncError('E_USAGE', { message, hint });
}
