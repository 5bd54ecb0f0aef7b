/**
 * Faults injected straight into the local S3 server's data folder (s3rver keeps each object as
 * `<dir>/<bucket>/<key>._S3rver_object` with `._S3rver_metadata.json` beside it and reads them
 * on every request): objects deleted, truncated, with bytes flipped, or with metadata lost.
 */
import { readFile, rm, truncate, writeFile, open } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';

function pathsOf(bucket: string, key: string) {
  const parts = key.split('/');
  const name = parts.pop()!;
  const dir = path.join(inject('s3Directory'), bucket, ...parts);
  return {
    object: path.join(dir, `${name}._S3rver_object`),
    metadata: path.join(dir, `${name}._S3rver_metadata.json`),
    md5: path.join(dir, `${name}._S3rver_object.md5`),
  };
}

export const faults = {
  async deleteObject(bucket: string, key: string) {
    const p = pathsOf(bucket, key);
    for (const f of [p.object, p.metadata, p.md5]) await rm(f, { force: true });
  },
  async truncateObject(bucket: string, key: string, size: number) {
    await truncate(pathsOf(bucket, key).object, size);
  },
  /** Flips the bits of one byte at `offset` (the size stays the same). */
  async flipByte(bucket: string, key: string, offset: number) {
    const handle = await open(pathsOf(bucket, key).object, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, offset);
      byte[0] ^= 0xff;
      await handle.write(byte, 0, 1, offset);
    } finally {
      await handle.close();
    }
  },
  /** Removes user metadata entries (`x-amz-meta-NAME`). */
  async dropMetadata(bucket: string, key: string, ...names: string[]) {
    const file = pathsOf(bucket, key).metadata;
    const data = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    for (const name of names) delete data[`x-amz-meta-${name}`];
    await writeFile(file, JSON.stringify(data));
  },
};
