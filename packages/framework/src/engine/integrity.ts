/**
 * Who verified an uploaded object's bytes, judged from the store's answer:
 *
 * - `store`: the store answered with the very checksum recsync sent for the whole object (a
 *   single PUT, or a FULL_OBJECT multipart upload): S3 rejects a mismatch with BadDigest, so an
 *   echo means it checked.
 * - `recsync`: the store answered with a checksum recsync did not send in that form (a
 *   COMPOSITE value: the checksum of the part checksums, `…-N`); recsync computed the same
 *   composite from the parts it read and compared.
 * - `none`: the store answered with no checksum (many S3-compatible stores, s3rver), or
 *   checksums are off. The bytes were sent with a checksum header all the same.
 *
 * Like is compared with like: a composite answer with the composite of the local parts, a
 * full-object answer with the whole-file value. A difference is a {@link ChecksumMismatch}.
 */
import { compositeChecksum, isComposite, type ChecksumName } from '../checksum.js';
import type { StoredChecksum } from '../s3/target.js';

export type VerifiedBy = 'store' | 'recsync' | 'none';

export interface LocalChecksum {
  readonly algorithm: ChecksumName;
  /** Whole-file value, base64. */
  readonly value: string;
  /** Raw part checksums (multipart only). */
  readonly partDigests?: readonly Buffer[];
}

/** The store reported a checksum that is not the local file's: the bytes differ. Retryable. */
export class ChecksumMismatch extends Error {
  override readonly name = 'BadDigest';
  readonly code = 'E_CHECKSUM_MISMATCH';
  constructor(key: string, reported: string, expected: string, algorithm: ChecksumName) {
    super(`the store reports ${algorithm} ${reported} for ${key}; the local file has ${expected}`);
  }
}

export async function judgeAnswer(
  key: string,
  local: LocalChecksum | undefined,
  answer: StoredChecksum | undefined,
): Promise<VerifiedBy> {
  if (!local || !answer || answer.algorithm !== local.algorithm) return 'none';
  const composite = answer.type === 'COMPOSITE' || isComposite(answer.value);
  if (!composite) {
    if (answer.value !== local.value)
      throw new ChecksumMismatch(key, answer.value, local.value, local.algorithm);
    return 'store';
  }
  if (!local.partDigests) {
    // A composite answer for a single PUT is one part: compare the bare value.
    const bare = answer.value.replace(/-\d+$/, '');
    if (bare !== local.value)
      throw new ChecksumMismatch(key, answer.value, local.value, local.algorithm);
    return 'recsync';
  }
  const expected = await compositeChecksum(local.algorithm, local.partDigests);
  // Some stores drop the `-N` suffix: the value itself must match either way.
  if (answer.value !== expected && answer.value !== expected.replace(/-\d+$/, ''))
    throw new ChecksumMismatch(key, answer.value, expected, local.algorithm);
  return 'recsync';
}
