/**
 * Independent checksum implementations for tests (not recsync's code): CRC32 from node:zlib,
 * CRC32C from a plain table, SHA from node:crypto. Base64 as S3 writes them.
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';

const TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function be32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

export function crc32cRaw(data: Buffer): Buffer {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return be32(c ^ 0xffffffff);
}

export const crc32Raw = (data: Buffer): Buffer => be32(zlib.crc32(data));
export const sha256Raw = (data: Buffer): Buffer => createHash('sha256').update(data).digest();
export const b64 = (raw: Buffer): string => raw.toString('base64');

/** S3's composite value for parts of `partSize`. */
export function composite(data: Buffer, partSize: number, raw: (b: Buffer) => Buffer): string {
  const parts: Buffer[] = [];
  for (let o = 0; o < data.length; o += partSize) parts.push(raw(data.subarray(o, o + partSize)));
  return `${b64(raw(Buffer.concat(parts)))}-${parts.length}`;
}
