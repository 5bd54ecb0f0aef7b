/**
 * File names that are not valid UTF-8, and how they become object keys.
 *
 * S3 keys are UTF-8, POSIX file names are bytes. A name that is valid UTF-8 is used as it is.
 * Any other name is backed up losslessly:
 *
 * - In the key, each invalid byte sequence becomes U+FFFD (as the WHATWG decoder replaces it),
 *   and `~` plus the first 8 hex digits of the SHA-256 of the raw name is added before the
 *   extension (`bad\xff.wav` → `bad\uFFFD~1f0c2a9b.wav`), so two names that differ only in
 *   their invalid bytes never share a key.
 * - The raw bytes of the whole relative path go into the object's metadata
 *   (`x-amz-meta-recsync-raw-path`, base64), so a restore can write the original name.
 *
 * Only the segments that are invalid are changed; the rest of the path stays readable.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';

/** Metadata key (without the `x-amz-meta-` prefix) holding the raw relative path, base64. */
export const RAW_PATH_METADATA = 'recsync-raw-path';

const decoder = new TextDecoder('utf-8', { fatal: false });

/** The key-safe form of one raw name segment, and whether it had to be changed. */
export function decodeName(raw: Buffer): { name: string; changed: boolean } {
  if (isUtf8(raw)) return { name: raw.toString('utf8'), changed: false };
  const decoded = decoder.decode(raw);
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  const dot = decoded.lastIndexOf('.');
  const ext = dot > 0 ? decoded.slice(dot) : '';
  const plainExt = ext.length > 1 && ext.length <= 10 && !ext.includes('\uFFFD');
  const name = plainExt ? `${decoded.slice(0, dot)}~${hash}${ext}` : `${decoded}~${hash}`;
  return { name, changed: true };
}

/** The raw relative path a candidate carries (base64), as bytes. */
export function rawPathBytes(rawPath: string): Buffer {
  return Buffer.from(rawPath, 'base64');
}
