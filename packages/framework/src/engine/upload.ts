/**
 * Uploads one planned file: open it once, checksum it, stream it to the store (single PUT, or
 * multipart above the threshold), and check it did not change meanwhile. Retries with
 * exponential backoff and jitter; a fatal target error is rethrown for the engine to stop the
 * run. Every attempt re-reads from the same open file, so the object always matches the
 * checksum sent with it.
 */
import { constants, type BigIntStats } from 'node:fs';
import { lstat, open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import {
  checksumMetadataKey,
  checksumOfBuffer,
  checksumOfFile,
  CHECKSUM_FIELD,
  type ChecksumName,
} from '../checksum.js';
import { isRecsyncError, type FileErrorCode } from '../errors.js';
import type { Hooks } from '../hooks.js';
import type { ResolvedJob } from '../config/resolve.js';
import type { StoreAnswer, Target } from '../s3/target.js';
import {
  classifyS3Error,
  describeS3Error,
  isThrottling,
  retriedBySdk,
  targetError,
} from '../s3/classify.js';
import { MAX_THROTTLED } from '../limits.js';
import { MultipartFailure } from '../s3/multipart.js';
import { formatMtime } from '../s3/mtime.js';
import { objectLockFields, sseFields } from '../s3/object-settings.js';
import { ChecksumMismatch, judgeAnswer, type VerifiedBy } from './integrity.js';
import {
  isConditionalConflict,
  isPreconditionFailed,
  judgeExisting,
  ObjectConflict,
} from './write-once.js';
import type { PlanFile } from './plan.js';
import { localPath, type RootGuard } from './paths.js';

/** Opens a file for reading. A seam: tests inject read failures here (root ignores chmod). */
export type OpenFile = (absolutePath: string | Buffer, flags: number) => Promise<FileHandle>;

export const defaultOpenFile: OpenFile = (p, flags) => open(p, flags);

/** What was stored, for reporters and the audit manifest. */
export interface StoredObject {
  /** The `mtime` metadata written (rclone's format). */
  readonly mtime?: string;
  /** Object Lock was asked for, but the retain-until date had already passed (a backfill). */
  readonly retentionPast?: boolean;
  readonly checksum?: {
    readonly algorithm: ChecksumName;
    readonly value: string;
    readonly verifiedBy: VerifiedBy;
    readonly reported?: string;
  };
  readonly etag?: string;
  readonly versionId?: string;
  readonly storageClass?: string;
  /** Object Lock retain-until (ISO), when set. */
  readonly retainUntil?: string;
  readonly multipart: boolean;
}

/** A multipart upload cut short by a hard stop, and whether its abort reached the store. */
export interface AbortedUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly aborted: boolean;
}

export type UploadResult =
  | { outcome: 'uploaded'; attempts: number; stored: StoredObject }
  | { outcome: 'present' | 'excluded' | 'vanished' | 'deferred'; reason: string; attempts: number }
  /** Never read: it resolves outside the source root (an error event, exit 1). */
  | { outcome: 'refused'; reason: string; attempts: number }
  | {
      outcome: 'failed';
      reason: string;
      error: { code: FileErrorCode; message: string };
      attempts: number;
    }
  /** Cut short by a hard stop: no final outcome. */
  | { outcome: 'aborted'; attempts: number; upload?: AbortedUpload };

/**
 * Durable record of multipart uploads in flight: `begin` resolves once (key, uploadId) is
 * saved, before the first part is sent; `end` once the id is gone from the server.
 */
export interface MultipartLog {
  begin(entry: { key: string; uploadId: string; path: string }): Promise<void>;
  end(uploadId: string): void;
}

export interface UploadContext {
  readonly job: ResolvedJob;
  readonly target: Target;
  readonly hooks: Hooks;
  readonly openFile: OpenFile;
  readonly guard: RootGuard;
  /** Hard stop: abort in-flight requests (multipart uploads are aborted too). */
  readonly abortSignal: AbortSignal;
  readonly multipartLog?: MultipartLog;
  /** Start of the file's partition period (Object Lock `from: 'partition'`). */
  readonly partitionStart?: (item: PlanFile) => Date | undefined;
}

const MiB = 1024 * 1024;
const MAX_PARTS = 10_000;
/**
 * Files up to this size are read once into memory (checksum and body from the same bytes):
 * one read instead of two, and a Buffer body is cheaper for the SDK than a stream. Memory stays
 * bounded by concurrency x this size.
 */
const SMALL_FILE = MiB;

/**
 * Part size for a file: the configured one, grown (in whole MiB) so no upload needs more than
 * 10,000 parts.
 */
export function partSizeFor(size: number, configured: number): number {
  const needed = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  return Math.max(configured, needed);
}

/** The outcome of a planned item that needs no upload: the plan decided it. */
export function plannedResult(item: PlanFile): UploadResult {
  switch (item.action) {
    case 'upload':
      throw new Error('plannedResult: an upload has no planned outcome');
    case 'present':
    case 'excluded':
    case 'vanished':
    case 'deferred':
      return { outcome: item.action, reason: item.reason ?? '', attempts: 0 };
    case 'refused':
      return { outcome: 'refused', reason: item.reason ?? 'refused', attempts: 0 };
    case 'failed': {
      const reason = item.reason ?? 'cannot be uploaded';
      return {
        outcome: 'failed',
        reason,
        error: { code: item.code ?? 'E_FILE_UPLOAD', message: reason },
        attempts: 0,
      };
    }
  }
}

export async function uploadFile(ctx: UploadContext, item: PlanFile): Promise<UploadResult> {
  const attempts = ctx.job.upload.attempts;
  if (!(await ctx.guard.parentInside(localPath(ctx.job.source, item)))) {
    return {
      outcome: 'refused',
      reason: 'its folder resolves outside the source root (a symlink)',
      attempts: 0,
    };
  }
  let last: unknown;
  let attempt = 1;
  let throttled = 0;
  for (; attempt <= attempts; attempt++) {
    if (ctx.abortSignal.aborted) return { outcome: 'aborted', attempts: attempt - 1 };
    try {
      const result = await attemptUpload(ctx, item);
      return { ...result, attempts: attempt };
    } catch (thrown) {
      if (ctx.abortSignal.aborted)
        return { outcome: 'aborted', attempts: attempt, ...abortedUpload(item.key, thrown) };
      // A failed multipart upload was aborted on the store; what counts is what made it fail.
      const error = unwrap(thrown);
      // Saving the upload's record failed (a lost lease, a full disk): the run's problem, not the
      // file's.
      if (isRecsyncError(error)) throw error;
      if (error instanceof FileShrank)
        return { outcome: 'deferred', reason: error.message, attempts: attempt };
      if (error instanceof ObjectConflict)
        return failed('E_OBJECT_CONFLICT', 'write-once conflict', error, attempt);
      if (ctx.job.target.noOverwrite && isConditionalConflict(error)) {
        // A concurrent write on Complete: start a new multipart upload, every part again.
        last = error;
        continue;
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        return {
          outcome: 'vanished',
          reason: 'deleted before it could be read',
          attempts: attempt,
        };
      if (code === 'ELOOP')
        return failed(
          'E_FILE_OUTSIDE_ROOT',
          'is a symlink (not followed; set followSymlinks to follow)',
          error,
          attempt,
        );
      if (isLocalError(error)) {
        last = error;
      } else {
        const { kind } = classifyS3Error(error);
        if (kind === 'fatal')
          throw targetError(error, {
            bucket: ctx.target.bucket,
            endpoint: ctx.target.endpoint,
            action: `uploading ${item.key}`,
          });
        last = error;
        if (kind === 'file') break;
        // One retry layer per request (see ../limits.ts): what the SDK retried is final here.
        if (retriedBySdk(error)) break;
        if (isThrottling(error) && throttled < MAX_THROTTLED) {
          // The store asked to slow down: the file is not at fault, so the attempt is given
          // back, and the pause grows with every throttled answer this file got.
          throttled++;
          await sleep(backoff(throttled), undefined, { signal: ctx.abortSignal }).catch(
            () => undefined,
          );
          attempt--;
          continue;
        }
      }
      if (attempt < attempts)
        await sleep(backoff(attempt), undefined, { signal: ctx.abortSignal }).catch(
          () => undefined,
        );
    }
  }
  const tried = Math.min(attempt, attempts);
  if (isLocalError(last))
    return failed(
      'E_FILE_READ',
      `cannot read ${localPath(ctx.job.source, item).toString()}`,
      last,
      tried,
    );
  if (last instanceof ChecksumMismatch)
    return failed('E_CHECKSUM_MISMATCH', `upload of ${item.key} did not verify`, last, tried);
  return failed('E_FILE_UPLOAD', `upload of ${item.key} failed`, last, tried);
}

function unwrap(error: unknown): unknown {
  return error instanceof MultipartFailure ? error.cause : error;
}

function abortedUpload(key: string, error: unknown): { upload?: AbortedUpload } {
  if (!(error instanceof MultipartFailure)) return {};
  return { upload: { key, uploadId: error.uploadId, aborted: error.abortFailed === undefined } };
}

function failed(code: FileErrorCode, what: string, error: unknown, attempts: number): UploadResult {
  const message = `${what}: ${describeS3Error(error)}`;
  return { outcome: 'failed', reason: message, error: { code, message }, attempts };
}

function isLocalError(error: unknown): boolean {
  return (
    error instanceof LocalFileError ||
    (typeof (error as NodeJS.ErrnoException)?.syscall === 'string' &&
      !(error as { $metadata?: unknown }).$metadata &&
      ['open', 'read', 'fstat', 'stat'].includes((error as NodeJS.ErrnoException).syscall!))
  );
}

class LocalFileError extends Error {}

/** The file ended before the size it had when the upload started (still being written?). */
class FileShrank extends Error {
  constructor() {
    super('shrank while it was read (still being written?)');
  }
}

function backoff(attempt: number): number {
  const base = Math.min(10_000, 250 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

type AttemptResult =
  | { outcome: 'uploaded'; stored: StoredObject }
  | { outcome: 'deferred' | 'present'; reason: string };

async function attemptUpload(ctx: UploadContext, item: PlanFile): Promise<AttemptResult> {
  const { job } = ctx;
  const flags = constants.O_RDONLY | (job.followSymlinks ? 0 : constants.O_NOFOLLOW);
  const handle = await ctx.openFile(localPath(job.source, item), flags);
  try {
    const before = await handle.stat({ bigint: true });
    if (!before.isFile()) throw new LocalFileError('not a regular file');
    const size = Number(before.size);
    const algorithm = job.target.checksum === 'none' ? undefined : job.target.checksum;
    const multipart = size >= job.upload.multipartThreshold;
    const buffer = size <= SMALL_FILE && !multipart ? await readWhole(handle, size) : undefined;
    if (buffer === null) return { outcome: 'deferred', reason: new FileShrank().message };
    // Multipart: a first read pass, because the whole-file value goes into the metadata fixed
    // at CreateMultipartUpload (and on Complete); the parts are read again while sent.
    const checksum = algorithm
      ? buffer
        ? await checksumOfBuffer(buffer, algorithm)
        : await checksumOfFile(handle, size, algorithm)
      : undefined;
    const input = await ctx.hooks.beforeUpload.promise(
      baseInput(ctx, item, { size, mtimeNs: before.mtimeNs, algorithm, checksum }),
      item,
    );
    const local = algorithm && checksum ? { algorithm, value: checksum } : undefined;
    let answer: StoreAnswer;
    let verifiedBy: VerifiedBy;
    try {
      if (multipart) {
        const result = await putMultipart(ctx, item, handle, { input, size, local });
        answer = result;
        verifiedBy = await judgeAnswer(
          item.key,
          local && { ...local, partDigests: result.partDigests },
          answer.checksum,
        );
      } else {
        const body =
          buffer ??
          handle.createReadStream({
            start: 0,
            end: size - 1,
            autoClose: false,
            highWaterMark: MiB,
          });
        // Algorithm and value together: the SDK then sends both headers and a plain body (the
        // algorithm alone would switch it to aws-chunked); S3 requires the algorithm header (or
        // Content-MD5) on writes with Object Lock retention.
        const checksumFields = local
          ? { ChecksumAlgorithm: local.algorithm, [CHECKSUM_FIELD[local.algorithm]]: local.value }
          : {};
        const put = { ...input, Body: body, ContentLength: size, ...checksumFields };
        answer = await ctx.target.put({ input: put, algorithm, signal: ctx.abortSignal });
        verifiedBy = await judgeAnswer(item.key, local, answer.checksum);
      }
    } catch (error) {
      if (!job.target.noOverwrite || !isPreconditionFailed(unwrap(error))) throw error;
      return {
        outcome: 'present',
        reason: await judgeExisting(
          ctx.target,
          item.key,
          { size, ...(local ? { checksum: local } : {}) },
          ctx.abortSignal,
        ),
      };
    }
    const after = await handle.stat({ bigint: true });
    if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) {
      return {
        outcome: 'deferred',
        reason: 'changed while it was uploaded (still being written?)',
      };
    }
    // Replaced by another file under the same name (a rename over it): the bytes sent are the old
    // file's, and a same-size replacement would later look present. Upload the new one later.
    const now = await statOrNull(localPath(job.source, item), job.followSymlinks);
    if (
      now &&
      (now.ino !== before.ino || now.size !== before.size || now.mtimeNs !== before.mtimeNs)
    ) {
      return { outcome: 'deferred', reason: 'replaced by another file while it was uploaded' };
    }
    const lockPast = job.target.objectLock !== undefined && !input.ObjectLockRetainUntilDate;
    return {
      outcome: 'uploaded',
      stored: storedObject(input, answer, local, verifiedBy, multipart, lockPast),
    };
  } finally {
    await handle.close();
  }
}

interface InputFacts {
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly algorithm?: ChecksumName;
  readonly checksum?: string;
}

/** What every write of the object carries (before the `beforeUpload` waterfall). */
function baseInput(ctx: UploadContext, item: PlanFile, facts: InputFacts): PutObjectCommandInput {
  const { target } = ctx.job;
  const lock = target.objectLock
    ? objectLockFields(target.objectLock, {
        mtimeMs: Number(facts.mtimeNs / 1_000_000n),
        partitionStart: ctx.partitionStart?.(item),
        now: new Date(),
      }).fields
    : {};
  return {
    Bucket: target.bucket,
    Key: item.key,
    Metadata: {
      ...target.metadata,
      mtime: formatMtime(facts.mtimeNs),
      size: String(facts.size),
      ...(facts.algorithm && facts.checksum
        ? { [checksumMetadataKey(facts.algorithm)]: facts.checksum }
        : {}),
    },
    ...(target.storageClass ? { StorageClass: target.storageClass } : {}),
    ...(target.noOverwrite ? { IfNoneMatch: '*' } : {}),
    ...(target.sse ? sseFields(target.sse) : {}),
    ...lock,
  };
}

function storedObject(
  input: PutObjectCommandInput,
  answer: StoreAnswer,
  local: { algorithm: ChecksumName; value: string } | undefined,
  verifiedBy: VerifiedBy,
  multipart: boolean,
  lockPast: boolean,
): StoredObject {
  return {
    ...(input.Metadata?.mtime ? { mtime: input.Metadata.mtime } : {}),
    ...(lockPast ? { retentionPast: true } : {}),
    ...(local
      ? {
          checksum: {
            ...local,
            verifiedBy,
            ...(answer.checksum && answer.checksum.value !== local.value
              ? { reported: answer.checksum.value }
              : {}),
          },
        }
      : {}),
    ...(answer.etag ? { etag: answer.etag } : {}),
    ...(answer.versionId ? { versionId: answer.versionId } : {}),
    ...(input.StorageClass ? { storageClass: input.StorageClass } : {}),
    ...(input.ObjectLockRetainUntilDate
      ? { retainUntil: new Date(input.ObjectLockRetainUntilDate).toISOString() }
      : {}),
    multipart,
  };
}

async function putMultipart(
  ctx: UploadContext,
  item: PlanFile,
  handle: FileHandle,
  options: {
    input: PutObjectCommandInput;
    size: number;
    local?: { algorithm: ChecksumName; value: string };
  },
) {
  const { job } = ctx;
  // If-None-Match belongs on Complete (S3 checks the condition there), not on Create.
  const {
    Body: _body,
    ContentLength: _length,
    IfNoneMatch: _ifNoneMatch,
    ...input
  } = options.input;
  const log = ctx.multipartLog;
  return ctx.target.putMultipart({
    input,
    size: options.size,
    partSize: partSizeFor(options.size, job.upload.partSize),
    partConcurrency: job.upload.partConcurrency,
    readPart: async (offset, length, into) => {
      const part = await readRange(handle, offset, length, into);
      if (!part) throw new FileShrank();
      return part;
    },
    ...(options.local ? { checksum: options.local, algorithm: options.local.algorithm } : {}),
    signal: ctx.abortSignal,
    ...(job.target.noOverwrite ? { ifNoneMatch: true } : {}),
    ...(log
      ? {
          onCreated: (uploadId: string) => log.begin({ key: item.key, uploadId, path: item.path }),
          onSettled: (uploadId: string) => log.end(uploadId),
        }
      : {}),
  });
}

/** The file now at a path (following links only when the job does), or null when none is. */
async function statOrNull(file: string | Buffer, follow: boolean): Promise<BigIntStats | null> {
  return (follow ? stat(file, { bigint: true }) : lstat(file, { bigint: true })).catch(() => null);
}

/** Reads exactly `size` bytes from the start; null when the file ended sooner (it shrank). */
function readWhole(handle: FileHandle, size: number): Promise<Buffer | null> {
  return readRange(handle, 0, size);
}

/**
 * Reads exactly `length` bytes at `position` (into `into` when given, which must hold them);
 * null when the file ended sooner.
 */
async function readRange(
  handle: FileHandle,
  position: number,
  length: number,
  into?: Buffer,
): Promise<Buffer | null> {
  const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let offset = 0;
  while (offset < length) {
    const { bytesRead } = await handle.read(buffer, offset, length - offset, position + offset);
    if (bytesRead === 0) return null;
    offset += bytesRead;
  }
  return buffer;
}
