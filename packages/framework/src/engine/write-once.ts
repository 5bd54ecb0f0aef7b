/**
 * Write-once (`target.noOverwrite: true`): PutObject and CompleteMultipartUpload carry
 * `If-None-Match: *`, so the store refuses (412) to replace an object that is already there.
 *
 * A 412 is not yet "present": the object under the key counts as this file only when its size
 * and a stored checksum of recsync's algorithm (the store's full-object value, or the
 * `checksum-<algorithm>` metadata recsync writes) match the local file. Anything else — another
 * size, another checksum, or no checksum to compare — is a conflict ({@link ObjectConflict}):
 * the file stays pending with E_OBJECT_CONFLICT and is reported on every run (exit 1), never
 * silently accepted.
 *
 * A 409 on Complete (ConditionalRequestConflict: a concurrent write to the key) means the upload
 * must start over: a new multipart upload, every part sent again (a retry of the attempt).
 */
import { checksumMetadataKey, type ChecksumName } from '../checksum.js';
import type { Target } from '../s3/target.js';

export class ObjectConflict extends Error {
  override readonly name = 'ObjectConflict';
  readonly code = 'E_OBJECT_CONFLICT';
}

export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** A conditional write lost to an object already under the key. */
export function isPreconditionFailed(error: unknown): boolean {
  return httpStatus(error) === 412 || (error as { name?: string })?.name === 'PreconditionFailed';
}

/** A concurrent write on Complete: start the multipart upload over. */
export function isConditionalConflict(error: unknown): boolean {
  return (
    httpStatus(error) === 409 || (error as { name?: string })?.name === 'ConditionalRequestConflict'
  );
}

/**
 * After a 412: resolves with a reason when the object in the way is this file; throws
 * {@link ObjectConflict} when it is not (or cannot be shown to be).
 */
export async function judgeExisting(
  target: Target,
  key: string,
  local: { size: number; checksum?: { algorithm: ChecksumName; value: string } },
  signal: AbortSignal,
): Promise<string> {
  const remote = await target.head(key, signal, { checksums: true });
  if (!remote)
    throw new ObjectConflict(
      `${key}: the store refused to overwrite it (412), but it is gone now; retried next run`,
    );
  if (remote.size !== local.size) {
    throw new ObjectConflict(
      `${key} already exists with ${remote.size} bytes; the local file has ${local.size} ` +
        '(write-once: not replaced)',
    );
  }
  const { checksum } = local;
  if (!checksum)
    throw new ObjectConflict(
      `${key} already exists and checksums are off, so it cannot be shown to be this file`,
    );
  const storeValue =
    remote.checksum?.algorithm === checksum.algorithm &&
    remote.checksum.type !== 'COMPOSITE' &&
    !/-\d+$/.test(remote.checksum.value)
      ? remote.checksum.value
      : undefined;
  const stored = storeValue ?? remote.metadata?.[checksumMetadataKey(checksum.algorithm)];
  if (stored === undefined) {
    throw new ObjectConflict(
      `${key} already exists with the same size but no ${checksum.algorithm} checksum to compare ` +
        '(write-once: not replaced)',
    );
  }
  if (stored !== checksum.value) {
    throw new ObjectConflict(
      `${key} already exists with ${checksum.algorithm} ${stored}; the local file has ` +
        `${checksum.value} (write-once: not replaced)`,
    );
  }
  return `already there (write-once: same size and ${checksum.algorithm})`;
}
