/**
 * The S3 target of a job: client construction from `target` settings and the few operations
 * the engine needs (preflight, list a prefix, head, put). The SDK is imported lazily, so
 * commands that never talk to S3 do not pay for loading it.
 *
 * Endpoint, region, profile, CA bundle and addressing style are resolved once (connection.ts)
 * and passed to the SDK explicitly; credentials and checksum settings left unset fall through
 * to the SDK (credential chain, AWS_REQUEST_CHECKSUM_CALCULATION), except that a custom
 * endpoint makes the checksum settings default to `when_required`: many S3-compatible stores
 * store the SDK's default aws-chunked bodies with the chunk framing inside the object.
 */
import type { S3Client, PutObjectCommandInput } from '@aws-sdk/client-s3';
import { PART_BUDGET, REQUEST_ATTEMPTS } from '../limits.js';
import { Semaphore } from '../concurrency.js';
import type { TargetConfig } from '../config/schema.js';
import { CHECKSUM_FIELD, type ChecksumName } from '../checksum.js';
import { RecsyncError } from '../errors.js';
import { classifyS3Error, targetError } from './classify.js';
import { BufferPool, multipartUpload, type MultipartRequest } from './multipart.js';
import { createObjectReader, type ObjectReader } from './reader.js';
import { connectionOf, type Connection } from './connection.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';

export interface RemoteObject {
  readonly key: string;
  readonly size: number;
  /** The local mtime recorded in the object's metadata at upload (HEAD only), as stored. */
  readonly mtime?: string;
  /** HEAD only: the object's user metadata. */
  readonly metadata?: Record<string, string>;
  /** HEAD only (asked with checksum mode): the checksum the store keeps, if any. */
  readonly checksum?: StoredChecksum;
}

export interface StoredChecksum {
  readonly algorithm: ChecksumName;
  /** Base64; `value-N` for a composite checksum. */
  readonly value: string;
  readonly type?: 'FULL_OBJECT' | 'COMPOSITE';
}

/** What the store answered for a write. */
export interface StoreAnswer {
  /** The checksum of the requested algorithm the store reported, if any. */
  readonly checksum?: StoredChecksum;
  readonly etag?: string;
  readonly versionId?: string;
}

export interface PutRequest {
  /** Complete PutObject input, checksum field included. */
  readonly input: PutObjectCommandInput;
  readonly algorithm?: ChecksumName;
  readonly signal?: AbortSignal;
}

export type TargetMultipartRequest = MultipartRequest & { readonly algorithm?: ChecksumName };

export interface MultipartUploadInfo {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated?: Date;
}

/** What the engine needs from a bucket. A fake can stand in for unit tests. */
export interface Target {
  readonly bucket: string;
  readonly endpoint?: string;
  /** Where requests go and where each setting came from (S3 targets only). */
  readonly connection?: Connection;
  /** Fails fast (fatal RecsyncError) when the bucket cannot be used. */
  /** With `objectLock`, a bucket without Object Lock enabled is refused (E_TARGET_BUCKET). */
  preflight(options: { list: boolean; prefix: string; objectLock?: boolean }): Promise<void>;
  /** Every object under `prefix` (paginated; order not relied upon). */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<RemoteObject>;
  head(
    key: string,
    signal?: AbortSignal,
    options?: { checksums?: boolean },
  ): Promise<RemoteObject | undefined>;
  /** Stores an object with one PutObject; resolves once the store answered 200. */
  put(request: PutRequest): Promise<StoreAnswer>;
  /** Stores an object as a multipart upload (aborted on failure). */
  putMultipart(
    request: TargetMultipartRequest,
  ): Promise<StoreAnswer & { partDigests: readonly Buffer[] }>;
  /** Aborts a multipart upload (resolves also when it is already gone). */
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /** Multipart uploads in progress under `prefix` (ListMultipartUploads, paginated). */
  listMultipart(prefix: string): AsyncIterable<MultipartUploadInfo>;
  destroy(): void;
}

type ChecksumCarrier = Partial<Record<(typeof CHECKSUM_FIELD)[ChecksumName], string>> & {
  ChecksumType?: string;
};

/** The checksum of `algorithm` in a store's answer (PutObject, Complete, HeadObject). */
export function answeredChecksum(
  out: ChecksumCarrier,
  algorithm: ChecksumName | undefined,
): StoredChecksum | undefined {
  if (!algorithm) return undefined;
  const value = out[CHECKSUM_FIELD[algorithm]];
  if (!value) return undefined;
  const type =
    out.ChecksumType === 'COMPOSITE' || out.ChecksumType === 'FULL_OBJECT'
      ? out.ChecksumType
      : undefined;
  return { algorithm, value, ...(type ? { type } : {}) };
}

/** The first checksum a HEAD answer carries, whatever its algorithm. */
function anyChecksum(out: ChecksumCarrier): StoredChecksum | undefined {
  for (const name of Object.keys(CHECKSUM_FIELD) as ChecksumName[]) {
    const found = answeredChecksum(out, name);
    if (found) return found;
  }
  return undefined;
}

/** The S3 target: what the engine writes with, and what verify and restore read with. */
export type S3Target = Target & ObjectReader;

export interface TargetOptions {
  readonly maxSockets: number;
  /** Tries of one request inside the SDK (default {@link REQUEST_ATTEMPTS}; see ../limits.ts). */
  readonly requestAttempts?: number;
  /** Upload bandwidth limit shared by all request bodies, bytes per second. */
  readonly maxBandwidth?: number;
  /**
   * Parts in flight across all multipart uploads through this target (default
   * {@link PART_BUDGET}).
   */
  readonly partBudget?: number;
  /** A limiter to share instead (several targets under one limit; tests observe it). */
  readonly limiter?: RateLimiter;
}

export async function createS3Target(
  target: TargetConfig,
  options: TargetOptions,
): Promise<S3Target> {
  const sdk = await import('@aws-sdk/client-s3');
  const limiter =
    options.limiter ??
    (options.maxBandwidth
      ? createRateLimiter({ bytesPerSecond: options.maxBandwidth })
      : undefined);
  const { base, requestHandler, connection, endpoint } = await clientConfig(target, {
    maxSockets: options.maxSockets,
    limiter,
  });
  // One retry layer per request (see ../limits.ts): requests whose body can be sent again
  // (listing, HEAD, multipart parts held in memory) are retried inside the SDK. PutObject streams
  // its body, which the SDK cannot rewind: one try here, and the engine tries the file again.
  const client = new sdk.S3Client({
    ...base,
    requestHandler,
    maxAttempts: options.requestAttempts ?? REQUEST_ATTEMPTS,
  });
  const putClient = new sdk.S3Client({ ...base, requestHandler, maxAttempts: 1 });
  unsignedPayloadOverHttps(client);
  unsignedPayloadOverHttps(putClient);
  const context = { bucket: target.bucket, endpoint, connection };
  const partBudget = options.partBudget ?? PART_BUDGET;
  const partSlots = new Semaphore(partBudget);
  const partBuffers = new BufferPool(partBudget);

  return {
    ...createObjectReader(sdk, client, target.bucket),
    bucket: target.bucket,
    endpoint,
    connection,
    async preflight({ list, prefix, objectLock }) {
      if (objectLock) await checkObjectLock(sdk, client, context);
      try {
        if (list)
          await client.send(
            new sdk.ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, MaxKeys: 1 }),
          );
        else await client.send(new sdk.HeadBucketCommand({ Bucket: target.bucket }));
      } catch (error) {
        const { kind } = classifyS3Error(error);
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
          ?.httpStatusCode;
        if (!list && status === 403) return; // write-only credentials may not HEAD the bucket
        if (!list && status === 404)
          throw targetError(Object.assign(error as object, { name: 'NoSuchBucket' }), {
            ...context,
            action: 'checking the bucket',
          });
        throw kind === 'fatal' || kind === 'retryable'
          ? targetError(error, { ...context, action: 'checking the bucket' })
          : error;
      }
    },
    async *list(prefix, signal) {
      let token: string | undefined;
      do {
        const page = await client.send(
          // Keys come back URL-encoded where the store supports it: XML cannot carry every
          // character a key may hold (a carriage return is read back as a line feed).
          new sdk.ListObjectsV2Command({
            Bucket: target.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            EncodingType: 'url',
          }),
          { abortSignal: signal },
        );
        const encoded = page.EncodingType === 'url';
        for (const o of page.Contents ?? []) {
          if (o.Key !== undefined)
            yield { key: encoded ? decodeListedKey(o.Key) : o.Key, size: o.Size ?? 0 };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async head(key, signal, headOptions = {}) {
      try {
        const out = await client.send(
          new sdk.HeadObjectCommand({
            Bucket: target.bucket,
            Key: key,
            ...(headOptions.checksums ? { ChecksumMode: 'ENABLED' } : {}),
          }),
          { abortSignal: signal },
        );
        const checksum = anyChecksum(out);
        return {
          key,
          size: out.ContentLength ?? 0,
          ...(out.Metadata?.mtime ? { mtime: out.Metadata.mtime } : {}),
          metadata: out.Metadata ?? {},
          ...(checksum ? { checksum } : {}),
        };
      } catch (error) {
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404)
          return undefined;
        throw error;
      }
    },
    async put({ input, algorithm, signal }) {
      const out = await putClient.send(new sdk.PutObjectCommand(input), { abortSignal: signal });
      return answerOf(out, algorithm);
    },
    async putMultipart(request) {
      const { output, partDigests } = await multipartUpload(sdk, client, {
        partSlots,
        partBuffers,
        ...request,
      });
      return { ...answerOf(output, request.algorithm), partDigests };
    },
    async abortMultipart(key, uploadId) {
      try {
        await client.send(
          new sdk.AbortMultipartUploadCommand({
            Bucket: target.bucket,
            Key: key,
            UploadId: uploadId,
          }),
        );
      } catch (error) {
        if (
          (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
        )
          return; // NoSuchUpload
        throw error;
      }
    },
    async *listMultipart(prefix) {
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const page = await client.send(
          new sdk.ListMultipartUploadsCommand({
            Bucket: target.bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key && u.UploadId)
            yield {
              key: u.Key,
              uploadId: u.UploadId,
              ...(u.Initiated ? { initiated: u.Initiated } : {}),
            };
        }
        if (!page.IsTruncated) return;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
        if (!keyMarker && !uploadIdMarker) return;
      }
    },
    destroy() {
      client.destroy();
      putClient.destroy();
      requestHandler.destroy();
    },
  };
}

/** A header carrying a checksum value of the body (not `x-amz-checksum-algorithm`/`-type`). */
const CHECKSUM_VALUE_HEADER = /^x-amz-checksum-(crc32c|crc32|crc64nvme|sha256|sha1)$/i;
const CONTENT_SHA256 = 'x-amz-content-sha256';
/**
 * Requests whose checksum header is the checksum of their own body (Complete's is the object's).
 */
const BODY_CHECKED = new Set(['PutObjectCommand', 'UploadPartCommand']);

/**
 * Over https, a PutObject or UploadPart whose body carries a checksum header the store verifies
 * is signed with `x-amz-content-sha256: UNSIGNED-PAYLOAD`, as aws-cli (botocore)
 * does: TLS protects the bytes in transit and the checksum protects them end to end, so the
 * SDK's SHA-256 of every in-memory body (a multipart part, a small file), computed on the main
 * thread, is not needed. Over plain http nothing changes: the payload hash stays signed.
 * (Stream bodies are sent UNSIGNED-PAYLOAD by the SDK itself, over either scheme.)
 */
export function unsignedPayloadOverHttps(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as
        | { protocol?: string; headers?: Record<string, string> }
        | undefined;
      const headers = request?.headers;
      if (
        request?.protocol === 'https:' &&
        headers &&
        BODY_CHECKED.has(context.commandName ?? '')
      ) {
        const names = Object.keys(headers);
        if (
          names.some((h) => CHECKSUM_VALUE_HEADER.test(h)) &&
          !names.some((h) => h.toLowerCase() === CONTENT_SHA256)
        )
          headers[CONTENT_SHA256] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', name: 'recsyncUnsignedPayloadOverHttps' },
  );
}

/** Retention needs a bucket with Object Lock enabled: refuse before any upload otherwise. */
async function checkObjectLock(
  sdk: typeof import('@aws-sdk/client-s3'),
  client: S3Client,
  context: { bucket: string; endpoint?: string },
): Promise<void> {
  let enabled: string | undefined;
  let why = '';
  try {
    const out = await client.send(
      new sdk.GetObjectLockConfigurationCommand({ Bucket: context.bucket }),
    );
    enabled = out.ObjectLockConfiguration?.ObjectLockEnabled;
  } catch (error) {
    const { kind } = classifyS3Error(error);
    if (kind === 'fatal')
      throw targetError(error, { ...context, action: 'reading the Object Lock configuration' });
    why = ` (${(error as { name?: string }).name ?? 'error'}: ${(error as Error).message})`;
  }
  if (enabled === 'Enabled') return;
  throw new RecsyncError('E_TARGET_BUCKET', {
    message:
      `bucket "${context.bucket}" does not have Object Lock enabled${why}, so ` +
      'target.objectLock cannot be applied; nothing was uploaded',
    hint:
      'use a bucket created with Object Lock enabled (it cannot be turned on for objects ' +
      'already written without it), or remove target.objectLock',
  });
}

function answerOf(
  out: ChecksumCarrier & { ETag?: string; VersionId?: string },
  algorithm: ChecksumName | undefined,
): StoreAnswer {
  const checksum = answeredChecksum(out, algorithm);
  return {
    ...(checksum ? { checksum } : {}),
    ...(out.ETag ? { etag: out.ETag } : {}),
    ...(out.VersionId ? { versionId: out.VersionId } : {}),
  };
}

/**
 * The S3 client settings of a target (region, endpoint, profile, checksum modes) and its request
 * handler: one place, shared by uploads and the bucket state store.
 */
export async function clientConfig(
  target: Omit<TargetConfig, 'bucket'>,
  network: { maxSockets: number; limiter?: RateLimiter },
) {
  const connection = await connectionOf(target as TargetConfig);
  const endpoint = connection.endpoint?.value;
  const checksumDefault = endpoint ? 'when_required' : undefined;
  const mode = (v: string | undefined) =>
    v ? (v.toUpperCase() as 'WHEN_REQUIRED' | 'WHEN_SUPPORTED') : undefined;
  const base = {
    // Resolved once here (see connection.ts) and passed explicitly, so the SDK cannot pick
    // another endpoint or region than the one shown to the user and fingerprinted in the state.
    region: connection.region.value,
    endpoint,
    forcePathStyle: connection.forcePathStyle?.value,
    profile: connection.profile?.value,
    requestChecksumCalculation: mode(target.requestChecksumCalculation ?? checksumDefault),
    responseChecksumValidation: mode(target.responseChecksumValidation ?? checksumDefault),
  };
  // Loaded here, with the SDK: the HTTP handler and proxy agents cost start-up time that a
  // command which never connects (status, a plan with nothing to list) need not spend.
  const { createRequestHandler } = await import('./network.js');
  const requestHandler = await createRequestHandler(connection, {
    maxSockets: network.maxSockets,
    ...(network.limiter ? { limiter: network.limiter } : {}),
  });
  return { base, requestHandler, connection, endpoint };
}

/** An endpoint set through the SDK's environment variables (it applies them itself). */
export function envEndpoint(): string | undefined {
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

/**
 * A key from a listing made with `encoding-type=url`: S3 encodes it like a form value (a space
 * as `+`, a literal `+` as `%2B`), as aws-cli decodes it too.
 */
export function decodeListedKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
