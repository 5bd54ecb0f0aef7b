/**
 * Downloads one object into an open temp file and hashes what it wrote. Objects up to the
 * ranged threshold come with one streamed GET; bigger ones with ranged GETs of `partSize`
 * bytes, `partConcurrency` at a time, each streamed to its offset (never a whole part in
 * memory), then hashed in one pass over the temp file (CRCs and SHAs need the bytes in order).
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { checksumOfFile, createHasher, storedChecksum, type ChecksumName } from '../checksum.js';
import { runPool } from '../concurrency.js';
import type { ObjectReader, ObjectDetails } from '../s3/reader.js';

export interface DownloadOptions {
  readonly rangedFrom: number;
  readonly partSize: number;
  readonly partConcurrency: number;
  readonly signal?: AbortSignal;
}

export interface Downloaded {
  readonly bytes: number;
  /** Checksum (base64) of what was written, in `algorithm`. */
  readonly checksum?: string;
}

export class ObjectGone extends Error {}

/** Writes `body` at `position` of the file; returns the bytes written. */
async function writeStream(
  handle: FileHandle,
  body: Readable,
  position: number,
  onChunk?: (c: Uint8Array) => void,
): Promise<number> {
  let offset = position;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    onChunk?.(chunk);
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, offset + done);
      done += bytesWritten;
    }
    offset += chunk.length;
  }
  return offset - position;
}

/** Whole-object GET, hashed while written; returns the GET's answer (metadata) too. */
export async function downloadWhole(
  reader: ObjectReader,
  key: string,
  handle: FileHandle,
  signal?: AbortSignal,
): Promise<Downloaded & { details: ObjectDetails }> {
  const got = await reader.getObject(key, { signal });
  if (!got) throw new ObjectGone(`${key} disappeared from the bucket`);
  const { body, ...details } = got;
  // The answer's headers arrive before its body: hash with the algorithm the object was stored
  // with.
  const algorithm = storedChecksum(details.metadata)?.algorithm;
  const hasher = algorithm ? await createHasher(algorithm) : undefined;
  const bytes = await writeStream(handle, body, 0, hasher && ((c) => hasher.update(c)));
  return { bytes, details, ...(hasher ? { checksum: hasher.digest().toString('base64') } : {}) };
}

/** Ranged GETs of a large object whose size is known. */
export async function downloadRanged(
  reader: ObjectReader,
  key: string,
  size: number,
  handle: FileHandle,
  algorithm: ChecksumName | undefined,
  options: DownloadOptions,
): Promise<Downloaded> {
  const parts = (function* () {
    for (let start = 0; start < size; start += options.partSize)
      yield [start, Math.min(size, start + options.partSize) - 1] as [number, number];
  })();
  let bytes = 0;
  await runPool(
    (async function* () {
      yield* parts;
    })(),
    options.partConcurrency,
    async (range) => {
      const got = await reader.getObject(key, { range, signal: options.signal });
      if (!got) throw new ObjectGone(`${key} disappeared from the bucket`);
      const written = await writeStream(handle, got.body, range[0]);
      if (written !== range[1] - range[0] + 1)
        throw new Error(
          `a ranged GET of ${key} returned ${written} bytes for ${range[0]}-${range[1]}`,
        );
      bytes += written;
    },
  );
  const checksum = algorithm ? await checksumOfFile(handle, size, algorithm) : undefined;
  return { bytes, ...(checksum ? { checksum } : {}) };
}
