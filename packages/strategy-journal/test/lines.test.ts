import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, readChunks, tailHash, type Chunk } from '../src/lines.js';
import { tempDir } from './helpers.js';

async function chunksOf(
  content: string | Buffer,
  options: { from?: number; maxLines?: number; linesBefore?: number; maxBytes?: number } = {},
): Promise<Chunk[]> {
  const file = path.join(await tempDir(), 'j.log');
  await writeFile(file, content);
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const out: Chunk[] = [];
    const chunks = readChunks(handle, {
      from: options.from ?? 0,
      linesBefore: options.linesBefore ?? 0,
      limit: size,
      maxLines: options.maxLines ?? 1000,
      maxBytes: options.maxBytes,
    });
    for await (const chunk of chunks) out.push(chunk);
    return out;
  } finally {
    await handle.close();
  }
}

const text = (chunk: Chunk) => chunk.lines.map((l) => (typeof l === 'number' ? l : l.toString()));

describe('reading complete lines', () => {
  it('leaves a trailing partial line for the next run', async () => {
    const [chunk, ...rest] = await chunksOf('a.wav\nb.wav\nc.w');
    expect(rest).toEqual([]);
    expect(text(chunk!)).toEqual(['a.wav', 'b.wav']);
    expect(chunk).toMatchObject({ start: 0, end: 12, firstLine: 1, lastLine: 2 });
  });

  it('yields nothing when no line is complete', async () => {
    expect(await chunksOf('half a line')).toEqual([]);
    expect(await chunksOf('')).toEqual([]);
  });

  it('cuts chunks by line count and numbers lines from the offset', async () => {
    const chunks = await chunksOf('x\na\nb\nc\nd\ne\n', { from: 2, linesBefore: 1, maxLines: 2 });
    expect(chunks.map((c) => [c.start, c.end, c.firstLine, c.lastLine, text(c)])).toEqual([
      [2, 6, 2, 3, ['a', 'b']],
      [6, 10, 4, 5, ['c', 'd']],
      [10, 12, 6, 6, ['e']],
    ]);
  });

  it('cuts chunks by size too, at line ends', async () => {
    const line = 'p'.repeat(99);
    const chunks = await chunksOf(`${line}\n`.repeat(10), { maxBytes: 250 });
    expect(chunks.map((c) => c.lines.length)).toEqual([3, 3, 3, 1]);
    expect(chunks.at(-1)!.end).toBe(1000);
  });

  it('keeps lines across read blocks intact', async () => {
    const lines = Array.from(
      { length: 3000 },
      (_, i) => `2026-11-25/call-${String(i).padStart(6, '0')}-${'x'.repeat(i % 50)}.wav`,
    );
    const chunks = await chunksOf(lines.map((l) => `${l}\n`).join(''), { maxLines: 700 });
    expect(chunks.flatMap(text)).toEqual(lines);
    expect(chunks.map((c) => c.firstLine)).toEqual([1, 701, 1401, 2101, 2801]);
  });

  it('keeps only the length of an over-long line', async () => {
    const long = 'z'.repeat(MAX_LINE_BYTES + 10);
    const [chunk] = await chunksOf(`a\n${long}\nb\n`);
    expect(text(chunk!)).toEqual(['a', MAX_LINE_BYTES + 10, 'b']);
    expect(chunk!.end).toBe(2 + MAX_LINE_BYTES + 11 + 2);
  });
});

describe('tail fingerprint', () => {
  it('changes with the bytes before the offset and is stable otherwise', async () => {
    const dir = await tempDir();
    const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
    await writeFile(a, 'one\ntwo\nthree\n');
    await writeFile(b, 'one\nTWO\nthree\nmore\n');
    const [ha, hb] = [await open(a, 'r'), await open(b, 'r')];
    try {
      expect(await tailHash(ha, 4)).toBe(await tailHash(hb, 4));
      expect(await tailHash(ha, 8)).not.toBe(await tailHash(hb, 8));
      expect(await tailHash(ha, 0)).toMatch(/^[0-9a-f]{32}$/);
      // past the end never matches a real position
      expect(await tailHash(ha, 100)).not.toBe(await tailHash(ha, 14));
    } finally {
      await ha.close();
      await hb.close();
    }
  });
});
