/**
 * Uploads one planned file: open it once, checksum it, stream it to the store (single PUT, or
 * multipart above the threshold), and check it did not change meanwhile. Retries with
 * exponential backoff and jitter; a fatal target error is rethrown for the engine to stop the
 * run. Every attempt re-reads from the same open file, so the object always matches the
 * checksum sent with it.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { checksumOfBuffer, checksumOfFile, CHECKSUM_FIELD } from '../checksum.js';
import { describeError } from '../errors.js';
import type { Hooks } from '../hooks.js';
import type { ResolvedJob } from '../config/resolve.js';
import type { Target } from '../s3/target.js';
import { classifyS3Error, isThrottling, targetError } from '../s3/classify.js';
import type { PlanFile } from './plan.js';
import { localPath, type RootGuard } from './paths.js';

/** Opens a file for reading. A seam: tests inject read failures here (root ignores chmod). */
export type OpenFile = (absolutePath: string | Buffer, flags: number) => Promise<FileHandle>;

export const defaultOpenFile: OpenFile = (p, flags) => open(p, flags);

export type UploadResult =
  | { outcome: 'uploaded'; attempts: number }
  | { outcome: 'present' | 'excluded' | 'vanished' | 'deferred'; reason: string; attempts: number }
  /** Never read: it resolves outside the source root (an error event, exit 1). */
  | { outcome: 'refused'; reason: string; attempts: number }
  | { outcome: 'failed'; reason: string; error: { code: string; message: string }; attempts: number }
  /** Cut short by a hard stop: no final outcome. */
  | { outcome: 'aborted'; attempts: number };

export interface UploadContext {
  readonly job: ResolvedJob;
  readonly target: Target;
  readonly hooks: Hooks;
  readonly openFile: OpenFile;
  readonly guard: RootGuard;
  /** Hard stop: abort in-flight requests (multipart uploads are aborted too). */
  readonly abortSignal: AbortSignal;
}

const MiB = 1024 * 1024;
/**
 * Throttling answers (503 SlowDown, 429) one file may get in a run on top of its attempts.
 * Few, so a store that answers nothing but 503 still trips the failing-target breaker soon.
 */
const MAX_THROTTLED = 3;
const MAX_PARTS = 10_000;
/**
 * Files up to this size are read once into memory (checksum and body from the same bytes):
 * one read instead of two, and a Buffer body is cheaper for the SDK than a stream. Memory stays
 * bounded by concurrency x this size.
 */
const SMALL_FILE = MiB;

/** Part size for a file: the configured one, grown (in whole MiB) so no upload needs more than 10,000 parts. */
export function partSizeFor(size: number, configured: number): number {
  const needed = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  return Math.max(configured, needed);
}

export async function uploadFile(ctx: UploadContext, item: PlanFile): Promise<UploadResult> {
  const attempts = ctx.job.upload.attempts;
  if (!(await ctx.guard.parentInside(localPath(ctx.job.source, item)))) {
    return { outcome: 'refused', reason: 'its folder resolves outside the source root (a symlink)', attempts: 0 };
  }
  let last: unknown;
  let attempt = 0;
  let throttled = 0;
  while (attempt < attempts) {
    attempt++;
    if (ctx.abortSignal.aborted) return { outcome: 'aborted', attempts: attempt - 1 };
    try {
      const result = await attemptUpload(ctx, item);
      return { ...result, attempts: attempt };
    } catch (error) {
      if (ctx.abortSignal.aborted) return { outcome: 'aborted', attempts: attempt };
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { outcome: 'vanished', reason: 'deleted before it could be read', attempts: attempt };
      if (code === 'ELOOP') return failed('E_FILE_OUTSIDE_ROOT', 'is a symlink (not followed; set followSymlinks to follow)', error, attempt);
      last = error;
      let pause = backoff(attempt);
      if (!isLocalError(error)) {
        const { kind } = classifyS3Error(error);
        if (kind === 'fatal') throw targetError(error, { bucket: ctx.target.bucket, endpoint: ctx.target.endpoint, action: `uploading ${item.key}` });
        if (kind === 'file') break;
        if (isThrottling(error) && throttled < MAX_THROTTLED) {
          // The store asked to slow down: the file is not at fault, so the attempt is given
          // back, and the pause grows with every throttled answer this file got.
          throttled++;
          attempt--;
          pause = backoff(throttled);
        }
      }
      if (attempt < attempts) await sleep(pause, undefined, { signal: ctx.abortSignal }).catch(() => undefined);
    }
  }
  return isLocalError(last)
    ? failed('E_FILE_READ', `cannot read ${localPath(ctx.job.source, item).toString()}`, last, attempt)
    : failed('E_FILE_UPLOAD', `upload of ${item.key} failed`, last, attempt);
}

function failed(code: string, what: string, error: unknown, attempts: number): UploadResult {
  const message = `${what}: ${describeError(error)}`;
  return { outcome: 'failed', reason: message, error: { code, message }, attempts };
}

function isLocalError(error: unknown): boolean {
  return error instanceof LocalFileError || (typeof (error as NodeJS.ErrnoException)?.syscall === 'string' && !(error as { $metadata?: unknown }).$metadata && ['open', 'read', 'fstat', 'stat'].includes((error as NodeJS.ErrnoException).syscall!));
}

class LocalFileError extends Error {}

function backoff(attempt: number): number {
  const base = Math.min(10_000, 250 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

type AttemptResult = { outcome: 'uploaded' } | { outcome: 'deferred'; reason: string };

async function attemptUpload(ctx: UploadContext, item: PlanFile): Promise<AttemptResult> {
  const { job } = ctx;
  const flags = constants.O_RDONLY | (job.followSymlinks ? 0 : constants.O_NOFOLLOW);
  const handle = await ctx.openFile(localPath(job.source, item), flags);
  try {
    const before = await handle.stat();
    if (!before.isFile()) throw new LocalFileError('not a regular file');
    const size = before.size;
    const algorithm = job.target.checksum === 'none' ? undefined : job.target.checksum;
    const multipart = size >= job.upload.multipartThreshold;
    const buffer = size <= SMALL_FILE && !multipart ? await readWhole(handle, size) : undefined;
    if (buffer === null) return { outcome: 'deferred', reason: 'shrank while it was read (still being written?)' };
    const checksum = algorithm ? (buffer ? checksumOfBuffer(buffer, algorithm) : await checksumOfFile(handle, size, algorithm)) : undefined;
    const body = buffer ?? handle.createReadStream({ start: 0, end: size - 1, autoClose: false, highWaterMark: MiB });
    let input: PutObjectCommandInput = {
      Bucket: job.target.bucket,
      Key: item.key,
      Body: body,
      ContentLength: size,
      Metadata: { ...job.target.metadata, mtime: (before.mtimeMs / 1000).toFixed(3), size: String(size) },
      ...(job.target.storageClass ? { StorageClass: job.target.storageClass } : {}),
      ...(checksum && algorithm && !multipart ? { [CHECKSUM_FIELD[algorithm]]: checksum } : {}),
    };
    input = await ctx.hooks.beforeUpload.promise(input, item);
    const stored = await ctx.target.put({
      input: { ...input, Body: body, Key: item.key, Bucket: job.target.bucket },
      size,
      signal: ctx.abortSignal,
      ...(multipart ? { multipart: { partSize: partSizeFor(size, job.upload.partSize), checksumAlgorithm: algorithm } } : {}),
    });
    if (multipart && checksum && stored.checksum && stripPartCount(stored.checksum) !== checksum) {
      // Retryable (BadDigest): the bytes that arrived are not the bytes that were read.
      throw Object.assign(new Error(`the store computed checksum ${stored.checksum} for ${item.key}, the file has ${checksum}`), { name: 'BadDigest' });
    }
    const after = await handle.stat();
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
      return { outcome: 'deferred', reason: 'changed while it was uploaded (still being written?)' };
    }
    // Replaced by another file under the same name (a rename over it): the bytes sent are the old
    // file's, and a same-size replacement would later look present. Upload the new one later.
    const now = await statOrNull(localPath(job.source, item), job.followSymlinks);
    if (now && (now.ino !== before.ino || now.size !== before.size || now.mtimeMs !== before.mtimeMs)) {
      return { outcome: 'deferred', reason: 'replaced by another file while it was uploaded' };
    }
    return { outcome: 'uploaded' };
  } finally {
    await handle.close();
  }
}

/** The file now at a path (following links only when the job does), or null when none is. */
async function statOrNull(file: string | Buffer, follow: boolean): Promise<Stats | null> {
  return (follow ? stat(file) : lstat(file)).catch(() => null);
}

/** Reads exactly `size` bytes from the start; null when the file ended sooner (it shrank). */
async function readWhole(handle: FileHandle, size: number): Promise<Buffer | null> {
  const buffer = Buffer.allocUnsafe(size);
  let offset = 0;
  while (offset < size) {
    const { bytesRead } = await handle.read(buffer, offset, size - offset, offset);
    if (bytesRead === 0) return null;
    offset += bytesRead;
  }
  return buffer;
}

/** Composite checksums come back as `value-N`; full-object ones as the bare value. */
function stripPartCount(checksum: string): string {
  return checksum.replace(/-\d+$/, '');
}
