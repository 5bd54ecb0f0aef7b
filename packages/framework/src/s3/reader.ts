/**
 * Reading a bucket back, for `verify` and `restore`: listings with what a listing can tell
 * (size, storage class, checksum algorithm, archive restore status), HEAD with everything the
 * store keeps about an object (metadata, checksum, retention, class), GET (whole or a byte
 * range, streamed) and RestoreObject for archive classes.
 *
 * Listings ask for url-encoded keys (a key may hold characters XML 1.0 cannot carry) and decode
 * them. `RestoreStatus` comes from ListObjectsV2 `OptionalObjectAttributes`, so finding which
 * archived objects are readable costs one listing, not one HEAD per object.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { CHECKSUM_FIELD, type ChecksumName } from '../checksum.js';

export interface ListedObject {
  /** The key; for a `folder` entry, the common prefix (ending in `/`). */
  readonly key: string;
  /** Listed with `delimiter`: a "sub-folder" (common prefix) rather than an object. */
  readonly folder?: boolean;
  readonly size: number;
  readonly storageClass?: string;
  readonly etag?: string;
  readonly lastModified?: Date;
  /** Archive classes only: a restore was requested and is still running. */
  readonly restoreInProgress?: boolean;
  /** Archive classes only: a restored copy is readable until then. */
  readonly restoreExpiry?: Date;
}

/** Everything HEAD tells about one object. */
export interface ObjectDetails {
  readonly key: string;
  readonly size: number;
  readonly metadata: Record<string, string>;
  readonly storageClass?: string;
  /** The checksum the store keeps (asked with checksum mode), if any. */
  readonly storeChecksum?: { algorithm: ChecksumName; value: string };
  readonly retainUntil?: Date;
  readonly lockMode?: string;
  readonly lastModified?: Date;
  readonly versionId?: string;
  readonly encryption?: string;
  /** `ongoing-request="true"` or the expiry of a restored copy (x-amz-restore). */
  readonly restore?: string;
  /** Intelligent-Tiering archive tiers (x-amz-archive-status). */
  readonly archiveStatus?: string;
}

export interface ObjectBody extends ObjectDetails {
  readonly body: Readable;
}

/** Reading and archive restores; implemented by the S3 target. */
export interface ObjectReader {
  /** Objects under `prefix`; with `delimiter`, only those directly in it, plus its sub-folders. */
  listObjects(
    prefix: string,
    options?: { restoreStatus?: boolean; delimiter?: boolean; signal?: AbortSignal },
  ): AsyncIterable<ListedObject>;
  headObject(
    key: string,
    options?: { versionId?: string; signal?: AbortSignal },
  ): Promise<ObjectDetails | undefined>;
  /** GET, whole or `range` (inclusive byte offsets). Undefined when the key does not exist. */
  getObject(
    key: string,
    options?: { range?: [number, number]; signal?: AbortSignal },
  ): Promise<ObjectBody | undefined>;
  /** RestoreObject; `days` is left out for Intelligent-Tiering archive tiers. */
  restoreObject(
    key: string,
    options: { tier: 'Standard' | 'Bulk' | 'Expedited'; days?: number },
  ): Promise<'requested' | 'in-progress'>;
}

type Sdk = typeof import('@aws-sdk/client-s3');

/** The storage classes whose objects must be restored before a GET. */
export const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/**
 * An object that must be restored from an archive class first (GET answered InvalidObjectState).
 */
export function isArchived(error: unknown): boolean {
  const e = error as { name?: string; Code?: string };
  return e.name === 'InvalidObjectState' || e.Code === 'InvalidObjectState';
}

function decodeKey(key: string, encoded: boolean): string {
  return encoded ? decodeURIComponent(key.replace(/\+/g, ' ')) : key;
}

type HeadLike = {
  ContentLength?: number;
  Metadata?: Record<string, string>;
  StorageClass?: string;
  ObjectLockRetainUntilDate?: Date;
  ObjectLockMode?: string;
  LastModified?: Date;
  VersionId?: string;
  ServerSideEncryption?: string;
  Restore?: string;
  ArchiveStatus?: string;
} & Partial<Record<(typeof CHECKSUM_FIELD)[ChecksumName], string>>;

function detailsOf(key: string, out: HeadLike): ObjectDetails {
  let storeChecksum: ObjectDetails['storeChecksum'];
  for (const name of Object.keys(CHECKSUM_FIELD) as ChecksumName[]) {
    const value = out[CHECKSUM_FIELD[name]];
    if (value) {
      storeChecksum = { algorithm: name, value };
      break;
    }
  }
  return {
    key,
    size: out.ContentLength ?? 0,
    metadata: out.Metadata ?? {},
    ...(out.StorageClass ? { storageClass: out.StorageClass } : {}),
    ...(storeChecksum ? { storeChecksum } : {}),
    ...(out.ObjectLockRetainUntilDate
      ? { retainUntil: new Date(out.ObjectLockRetainUntilDate) }
      : {}),
    ...(out.ObjectLockMode ? { lockMode: out.ObjectLockMode } : {}),
    ...(out.LastModified ? { lastModified: out.LastModified } : {}),
    ...(out.VersionId ? { versionId: out.VersionId } : {}),
    ...(out.ServerSideEncryption ? { encryption: out.ServerSideEncryption } : {}),
    ...(out.Restore ? { restore: out.Restore } : {}),
    ...(out.ArchiveStatus ? { archiveStatus: out.ArchiveStatus } : {}),
  };
}

export function createObjectReader(sdk: Sdk, client: S3Client, bucket: string): ObjectReader {
  return {
    async *listObjects(prefix, options = {}) {
      let token: string | undefined;
      do {
        const page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ContinuationToken: token,
            EncodingType: 'url',
            ...(options.delimiter ? { Delimiter: '/' } : {}),
            ...(options.restoreStatus ? { OptionalObjectAttributes: ['RestoreStatus'] } : {}),
          }),
          { abortSignal: options.signal },
        );
        const encoded = page.EncodingType === 'url';
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          const status = o.RestoreStatus;
          yield {
            key: decodeKey(o.Key, encoded),
            size: o.Size ?? 0,
            ...(o.StorageClass ? { storageClass: o.StorageClass } : {}),
            ...(o.ETag ? { etag: o.ETag } : {}),
            ...(o.LastModified ? { lastModified: o.LastModified } : {}),
            ...(status?.IsRestoreInProgress !== undefined
              ? { restoreInProgress: status.IsRestoreInProgress }
              : {}),
            ...(status?.RestoreExpiryDate
              ? { restoreExpiry: new Date(status.RestoreExpiryDate) }
              : {}),
          };
        }
        for (const p of page.CommonPrefixes ?? [])
          if (p.Prefix !== undefined)
            yield { key: decodeKey(p.Prefix, encoded), size: 0, folder: true };
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async headObject(key, options = {}) {
      try {
        const out = await client.send(
          new sdk.HeadObjectCommand({
            Bucket: bucket,
            Key: key,
            ChecksumMode: 'ENABLED',
            ...(options.versionId ? { VersionId: options.versionId } : {}),
          }),
          { abortSignal: options.signal },
        );
        return detailsOf(key, out as HeadLike);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async getObject(key, options = {}) {
      try {
        const range = options.range
          ? { Range: `bytes=${options.range[0]}-${options.range[1]}` }
          : {};
        const out = await client.send(
          new sdk.GetObjectCommand({ Bucket: bucket, Key: key, ...range }),
          { abortSignal: options.signal },
        );
        return { ...detailsOf(key, out as HeadLike), body: out.Body as Readable };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async restoreObject(key, { tier, days }) {
      try {
        await client.send(
          new sdk.RestoreObjectCommand({
            Bucket: bucket,
            Key: key,
            RestoreRequest:
              days === undefined
                ? { GlacierJobParameters: { Tier: tier } }
                : { Days: days, GlacierJobParameters: { Tier: tier } },
          }),
        );
        return 'requested';
      } catch (error) {
        if ((error as { name?: string }).name === 'RestoreAlreadyInProgress') return 'in-progress';
        throw error;
      }
    },
  };
}
