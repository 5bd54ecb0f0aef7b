/**
 * How objects are written, from `target` settings: server-side encryption and Object Lock
 * retention, as PutObject / CreateMultipartUpload fields. One module, so data objects and the
 * audit manifest are written alike.
 */
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { TargetConfig } from '../config/schema.js';

type Sse = NonNullable<TargetConfig['sse']>;
type ObjectLock = NonNullable<TargetConfig['objectLock']>;

export function sseFields(sse: Sse): Partial<PutObjectCommandInput> {
  if (sse.type === 'AES256') return { ServerSideEncryption: 'AES256' };
  return {
    ServerSideEncryption: 'aws:kms',
    ...(sse.keyId ? { SSEKMSKeyId: sse.keyId } : {}),
    ...(sse.bucketKey !== undefined ? { BucketKeyEnabled: sse.bucketKey } : {}),
  };
}

/**
 * Retention counted in calendar units (`7y` is seven calendar years, not 7 x 365.25 days;
 * `18mo`, `90d`, `12w`), added in UTC, so a retain-until date is what a records officer means.
 */
export interface Retention {
  readonly amount: number;
  readonly unit: 'years' | 'months' | 'days';
}

export function parseRetention(text: string): Retention | undefined {
  const match = /^(\d+)\s*(y|years?|mo|months?|w|weeks?|d|days?)$/i.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2].toLowerCase();
  if (amount <= 0) return undefined;
  if (unit.startsWith('y')) return { amount, unit: 'years' };
  if (unit.startsWith('mo')) return { amount, unit: 'months' };
  if (unit.startsWith('w')) return { amount: amount * 7, unit: 'days' };
  return { amount, unit: 'days' };
}

export function addRetention(from: Date, retention: Retention): Date {
  const d = new Date(from.getTime());
  if (retention.unit === 'years') d.setUTCFullYear(d.getUTCFullYear() + retention.amount);
  else if (retention.unit === 'months') d.setUTCMonth(d.getUTCMonth() + retention.amount);
  else d.setUTCDate(d.getUTCDate() + retention.amount);
  return d;
}

export interface RetentionFacts {
  readonly mtimeMs: number;
  /** Start of the file's partition period (strategies that know one, e.g. date folders). */
  readonly partitionStart?: Date;
  readonly now: Date;
}

/**
 * Object Lock fields for one object, or `{ past: true }` when its retain-until date has already
 * passed (a backfill of old files): then it is written without retention, and counted.
 * Throws when `from: 'partition'` but the strategy knows no partition date.
 */
export function objectLockFields(
  lock: ObjectLock,
  facts: RetentionFacts,
): { fields: Partial<PutObjectCommandInput>; past: boolean } {
  const from =
    lock.from === 'upload'
      ? facts.now
      : lock.from === 'mtime'
        ? new Date(facts.mtimeMs)
        : facts.partitionStart;
  if (!from)
    throw new Error(
      'objectLock.from is "partition" but the strategy gives this file no partition date',
    );
  const until = addRetention(from, lock.retain);
  const legalHold = lock.legalHold ? { ObjectLockLegalHoldStatus: 'ON' as const } : {};
  if (until.getTime() <= facts.now.getTime()) return { fields: legalHold, past: true };
  return {
    fields: { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: until, ...legalHold },
    past: false,
  };
}
