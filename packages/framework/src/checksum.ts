/**
 * Whole-file checksums, computed before an upload and sent with it so the store verifies
 * the bytes it received (x-amz-checksum-*). CRC32C is the default: fast and supported by S3
 * for full-object checksums of multipart uploads too.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';

export type ChecksumName = 'CRC32C' | 'CRC32' | 'SHA256';

interface Hasher {
  update(chunk: Buffer): void;
  digest(): string;
}

function crcBase64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

function hasher(name: ChecksumName): Hasher {
  switch (name) {
    case 'CRC32C': {
      const crc = new Crc32c();
      return { update: (c) => void crc.update(c), digest: () => crcBase64(crc.digest()) };
    }
    case 'CRC32': {
      let value = 0;
      return { update: (c) => void (value = zlib.crc32(c, value)), digest: () => crcBase64(value) };
    }
    case 'SHA256': {
      const hash = createHash('sha256');
      return { update: (c) => void hash.update(c), digest: () => hash.digest('base64') };
    }
  }
}

/** Checksum (base64, as S3 wants it) of the first `length` bytes of an open file. */
export async function checksumOfFile(handle: FileHandle, length: number, name: ChecksumName): Promise<string> {
  const h = hasher(name);
  if (length > 0) {
    const stream = handle.createReadStream({ start: 0, end: length - 1, autoClose: false, highWaterMark: 1 << 20 });
    for await (const chunk of stream) h.update(chunk as Buffer);
  }
  return h.digest();
}

/** Checksum (base64) of bytes already in memory. */
export function checksumOfBuffer(data: Buffer, name: ChecksumName): string {
  const h = hasher(name);
  h.update(data);
  return h.digest();
}

/** The PutObject field that carries a checksum value. */
export const CHECKSUM_FIELD = {
  CRC32C: 'ChecksumCRC32C',
  CRC32: 'ChecksumCRC32',
  SHA256: 'ChecksumSHA256',
} as const satisfies Record<ChecksumName, string>;
