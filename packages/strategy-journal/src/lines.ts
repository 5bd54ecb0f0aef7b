/**
 * Reading complete journal lines from a byte offset, in chunks.
 *
 * Guarantees: only complete lines (ending in `\n`) are returned; bytes after the last `\n`
 * before `limit` are left for a later run. Reads are positional and sequential from `from`,
 * never before it: the cost is the new bytes, not the history. Memory is bounded by one chunk
 * (at most `maxLines` lines and about `maxBytes` bytes); a line longer than
 * {@link MAX_LINE_BYTES} is not kept, only its length, so a journal without newlines cannot
 * exhaust memory.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { TAIL_BYTES } from './options.js';

/** Longest line kept; longer ones are refused by length. Paths are at most 4 KiB on Linux. */
export const MAX_LINE_BYTES = 64 * 1024;
/** A chunk is cut at the first line end after this many bytes, whatever its line count. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
const BLOCK = 64 * 1024;

/** A line's bytes without its `\n`, or the length of a line too long to keep. */
export type RawLine = Buffer | number;

export interface Chunk {
  /** Byte offset of the first line. */
  readonly start: number;
  /** Byte offset after the last line's `\n`. */
  readonly end: number;
  /** 1-based number of the first line. */
  readonly firstLine: number;
  /** Number of lines before `end` (the last line's number). */
  readonly lastLine: number;
  readonly lines: RawLine[];
}

export interface ChunkOptions {
  readonly from: number;
  /** Line number of the line starting at `from`, minus one. */
  readonly linesBefore: number;
  /** Read no further than this offset (the size when the file was opened). */
  readonly limit: number;
  readonly maxLines: number;
  readonly maxBytes?: number;
}

/** Splits `[from, limit)` of an open file into chunks of complete lines, in order. */
export async function* readChunks(
  handle: FileHandle,
  options: ChunkOptions,
): AsyncGenerator<Chunk> {
  const maxBytes = options.maxBytes ?? MAX_CHUNK_BYTES;
  const buffer = Buffer.allocUnsafe(BLOCK);
  let position = options.from;
  let chunkStart = options.from;
  let lineNumber = options.linesBefore;
  let lines: RawLine[] = [];
  let chunkBytes = 0;
  let lastEnd = options.from;
  const partial = new PartialLine();
  while (position < options.limit) {
    const { bytesRead } = await handle.read(
      buffer,
      0,
      Math.min(BLOCK, options.limit - position),
      position,
    );
    if (bytesRead === 0) break; // truncated while reading: what was read stands
    const block = buffer.subarray(0, bytesRead);
    let lineStart = 0;
    for (let nl = block.indexOf(10); nl !== -1; nl = block.indexOf(10, nl + 1)) {
      const line = partial.finish(block.subarray(lineStart, nl));
      lines.push(line);
      lineNumber++;
      lineStart = nl + 1;
      lastEnd = position + lineStart;
      chunkBytes += (typeof line === 'number' ? line : line.length) + 1;
      if (lines.length >= options.maxLines || chunkBytes >= maxBytes) {
        yield {
          start: chunkStart,
          end: lastEnd,
          firstLine: lineNumber - lines.length + 1,
          lastLine: lineNumber,
          lines,
        };
        chunkStart = lastEnd;
        lines = [];
        chunkBytes = 0;
      }
    }
    partial.add(block.subarray(lineStart));
    position += bytesRead;
  }
  if (lines.length > 0) {
    yield {
      start: chunkStart,
      end: lastEnd,
      firstLine: lineNumber - lines.length + 1,
      lastLine: lineNumber,
      lines,
    };
  }
}

/** The bytes of a line not yet ended, kept until they exceed {@link MAX_LINE_BYTES}. */
class PartialLine {
  private pieces: Buffer[] = [];
  private length = 0;

  add(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.length += bytes.length;
    if (this.length > MAX_LINE_BYTES) this.pieces = [];
    else this.pieces.push(Buffer.from(bytes)); // copy: the read buffer is reused
  }

  /** Ends the line with `rest` (the bytes before its `\n`). */
  finish(rest: Buffer): RawLine {
    const total = this.length + rest.length;
    const line: RawLine =
      total > MAX_LINE_BYTES
        ? total
        : this.pieces.length === 0
          ? Buffer.from(rest)
          : Buffer.concat([...this.pieces, rest]);
    this.pieces = [];
    this.length = 0;
    return line;
  }
}

/** Fingerprint of the up to {@link TAIL_BYTES} bytes before `offset` (32 hex digits). */
export async function tailHash(handle: FileHandle, offset: number): Promise<string> {
  const length = Math.min(offset, TAIL_BYTES);
  const bytes = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(bytes, read, length - read, offset - length + read);
    if (bytesRead === 0) break; // shorter than the offset: cannot match a real fingerprint
    read += bytesRead;
  }
  const digest = createHash('sha256').update(bytes.subarray(0, read));
  if (read < length) digest.update('\0truncated');
  return digest.digest('hex').slice(0, 32);
}

/**
 * Counts the complete lines in `[0, limit)` and returns the offset after the last one (`start:
 * 'end'`).
 */
export async function endOfCompleteLines(
  handle: FileHandle,
  limit: number,
): Promise<{ end: number; lines: number }> {
  const buffer = Buffer.allocUnsafe(BLOCK);
  let position = 0;
  let end = 0;
  let lines = 0;
  while (position < limit) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(BLOCK, limit - position), position);
    if (bytesRead === 0) break;
    const block = buffer.subarray(0, bytesRead);
    for (let nl = block.indexOf(10); nl !== -1; nl = block.indexOf(10, nl + 1)) {
      lines++;
      end = position + nl + 1;
    }
    position += bytesRead;
  }
  return { end, lines };
}
