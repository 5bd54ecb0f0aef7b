/**
 * One multipart upload, driven with the SDK's own commands (Create, UploadPart, Complete,
 * Abort) rather than lib-storage, so that:
 *
 * - CompleteMultipartUpload carries the whole-file checksum (`ChecksumType: FULL_OBJECT` for
 *   the CRC family): the store checks the assembled object against recsync's value;
 * - each part's raw checksum is kept, so a store that answers with a COMPOSITE checksum (a
 *   checksum of the part checksums, `…-N`) can be compared like with like;
 * - the upload id is handed to the caller (`onCreated`) before the first part is sent, so it
 *   can be recorded durably and aborted by a later run if this one dies;
 * - a failure or a hard stop sends AbortMultipartUpload (with its own short deadline, not the
 *   aborted signal) and says whether the abort went through.
 *
 * Parts are read into memory one at a time per slot: memory per upload is `partConcurrency` x
 * `partSize` (the same bound lib-storage had with its queue), and across the uploads of a target
 * its part budget (`partSlots`, see ../limits.ts) x `partSize`. The part buffers are reused
 * (`BufferPool`) once a part's request has succeeded: a fresh 8 MiB buffer per part made the
 * garbage collector a large share of a big upload's CPU.
 */
import type {
  S3Client,
  CompleteMultipartUploadCommandOutput,
  CreateMultipartUploadCommandInput,
  CompletedPart,
} from '@aws-sdk/client-s3';
import { runPool, type Semaphore } from '../concurrency.js';
import { CHECKSUM_FIELD, MULTIPART_TYPE, createHasher, type ChecksumName } from '../checksum.js';

type Sdk = typeof import('@aws-sdk/client-s3');

export interface MultipartRequest {
  /**
   * Bucket, key, metadata, storage class, SSE, Object Lock: everything CreateMultipartUpload takes.
   */
  readonly input: CreateMultipartUploadCommandInput;
  readonly size: number;
  readonly partSize: number;
  readonly partConcurrency: number;
  /**
   * Reads `length` bytes at `offset`; must return exactly that many. `into` (at least `length`
   * bytes), when given, is a buffer to read them into: the returned one may be a view of it.
   */
  readPart(offset: number, length: number, into?: Buffer): Promise<Buffer>;
  readonly checksum?: { readonly algorithm: ChecksumName; readonly value: string };
  /** Parts in flight shared with other uploads (see ../limits.ts): a slot is held per part. */
  readonly partSlots?: Semaphore;
  /** Part buffers shared with other uploads (default: this upload's own). */
  readonly partBuffers?: BufferPool;
  /** `If-None-Match: *` on Complete (write-once). */
  readonly ifNoneMatch?: boolean;
  readonly signal?: AbortSignal;
  /**
   * Called with the upload id before any part is sent; the upload waits for it (durable record).
   */
  onCreated?(uploadId: string): Promise<void>;
  /** Called once the upload id is no longer live on the server (completed or aborted). */
  onSettled?(uploadId: string): void;
}

export interface MultipartResult {
  readonly output: CompleteMultipartUploadCommandOutput;
  /** Raw checksum of every part, in part order (for composite answers). */
  readonly partDigests: readonly Buffer[];
}

/** Thrown when the upload failed and was aborted (or the abort failed: `abortFailed`). */
export class MultipartFailure extends Error {
  constructor(
    cause: unknown,
    readonly uploadId: string,
    readonly abortFailed?: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = (cause as Error)?.name ?? 'Error';
    Object.assign(this, { $metadata: (cause as { $metadata?: unknown })?.$metadata });
  }
}

const ABORT_TIMEOUT_MS = 30_000;

/**
 * Buffers of parts whose request is over, for the next parts to read into: at most `keep` are
 * kept (shared by a target's uploads, `keep` is its part budget, so memory stays bounded by the
 * parts in flight plus the parts kept).
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep: number) {}

  /** A buffer of at least `length` bytes (a kept one when one is big enough). */
  take(length: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= length);
    return i >= 0 ? (this.free.splice(i, 1)[0] as Buffer) : Buffer.allocUnsafeSlow(length);
  }

  give(buffer: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buffer);
  }
}

export async function multipartUpload(
  sdk: Sdk,
  client: S3Client,
  request: MultipartRequest,
): Promise<MultipartResult> {
  const { input, checksum, signal } = request;
  const algorithm = checksum?.algorithm;
  const created = await client.send(
    new sdk.CreateMultipartUploadCommand({
      ...input,
      ...(algorithm
        ? { ChecksumAlgorithm: algorithm, ChecksumType: MULTIPART_TYPE[algorithm] }
        : {}),
    }),
    { abortSignal: signal },
  );
  const uploadId = created.UploadId;
  if (!uploadId)
    throw new Error(
      `the store answered CreateMultipartUpload for ${input.Key} without an upload id`,
    );
  try {
    await request.onCreated?.(uploadId);
    const { parts, digests } = await sendParts(sdk, client, request, uploadId);
    const output = await client.send(
      new sdk.CompleteMultipartUploadCommand({
        Bucket: input.Bucket,
        Key: input.Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        ...(checksum && MULTIPART_TYPE[checksum.algorithm] === 'FULL_OBJECT'
          ? {
              [CHECKSUM_FIELD[checksum.algorithm]]: checksum.value,
              ChecksumType: 'FULL_OBJECT' as const,
            }
          : {}),
        ...(request.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      }),
      { abortSignal: signal },
    );
    request.onSettled?.(uploadId);
    return { output, partDigests: digests };
  } catch (error) {
    const abortFailed = await abort(sdk, client, input, uploadId);
    if (!abortFailed) request.onSettled?.(uploadId);
    throw new MultipartFailure(error, uploadId, abortFailed);
  }
}

async function sendParts(sdk: Sdk, client: S3Client, request: MultipartRequest, uploadId: string) {
  const { input, size, partSize, signal } = request;
  const algorithm = request.checksum?.algorithm;
  const count = Math.max(1, Math.ceil(size / partSize));
  const parts: CompletedPart[] = new Array(count);
  const digests: Buffer[] = new Array(count);
  async function* numbers() {
    for (let n = 1; n <= count; n++) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      yield n;
    }
  }
  const pool = request.partBuffers ?? new BufferPool(request.partConcurrency);
  await runPool(numbers(), request.partConcurrency, async (n) => {
    const release = await request.partSlots?.acquire();
    try {
      await sendPart(n);
    } finally {
      release?.();
    }
  });
  return { parts, digests };

  async function sendPart(n: number) {
    const offset = (n - 1) * partSize;
    const length = Math.min(partSize, size - offset);
    const buffer = pool.take(Math.min(partSize, size));
    const body = await request.readPart(offset, length, buffer);
    let field: Record<string, string> = {};
    if (algorithm) {
      const h = await createHasher(algorithm);
      h.update(body);
      digests[n - 1] = h.digest();
      field = { [CHECKSUM_FIELD[algorithm]]: digests[n - 1].toString('base64') };
    }
    const out = await client.send(
      new sdk.UploadPartCommand({
        Bucket: input.Bucket,
        Key: input.Key,
        UploadId: uploadId,
        PartNumber: n,
        Body: body,
        ContentLength: body.length,
        ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}),
        ...field,
      }),
      { abortSignal: signal },
    );
    parts[n - 1] = { PartNumber: n, ETag: out.ETag, ...field };
    // Only after a request that succeeded: after a failure the upload ends, and a socket may
    // still hold a reference to the buffer.
    pool.give(buffer);
  }
}

/** Aborts an upload; returns the error when the store would not (undefined when it did). */
async function abort(
  sdk: Sdk,
  client: S3Client,
  input: CreateMultipartUploadCommandInput,
  uploadId: string,
): Promise<unknown> {
  try {
    await client.send(
      new sdk.AbortMultipartUploadCommand({
        Bucket: input.Bucket,
        Key: input.Key,
        UploadId: uploadId,
      }),
      {
        abortSignal: AbortSignal.timeout(ABORT_TIMEOUT_MS),
      },
    );
    return undefined;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return undefined; // NoSuchUpload: already gone
    return error;
  }
}
