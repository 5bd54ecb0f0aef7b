/**
 * What every stage of a verify run shares: the job, the bucket reader, the level, the clock,
 * and where results go. Built once per run by `openVerify`.
 */
import type { ChecksumName } from '../checksum.js';
import type { ResolvedJob } from '../config/resolve.js';
import type { Hooks } from '../hooks.js';
import type { S3Target } from '../s3/target.js';
import type { SubsetSelection } from './subset.js';

export type VerifyLevel = 'list' | 'head' | 'deep';

export interface VerifyContext {
  readonly job: ResolvedJob;
  readonly reader: S3Target;
  readonly hooks: Hooks;
  readonly level: VerifyLevel;
  readonly subset?: SubsetSelection;
  /** Algorithm for objects that carry no stored checksum (the job's, or CRC32C). */
  readonly algorithm: ChecksumName;
  readonly now: Date;
  readonly signal: AbortSignal;
  /** Files in the pending set: known not to be backed up yet (sync reports them), not findings. */
  readonly pending: ReadonlySet<string>;
  /**
   * Scale-out: true for the keys this run's shard owns (every key when the job runs whole). A
   * shard checks only its own files and objects; the rest are its siblings' business.
   */
  readonly owns: (key: string) => boolean;
  /** Keys recsync writes for itself (manifests, state): never "extra". */
  readonly ownKeys: (key: string) => boolean;
  /** A `key` hook is tapped: keys may not follow the folder layout, so extras cannot be told. */
  readonly customKeys: boolean;
  readonly checksumCache: string;
  readonly rehash: boolean;
  readonly concurrency: number;
  readonly openFlags: number;
  partitionStart(path: string): Date | undefined;
}
