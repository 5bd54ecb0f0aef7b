// Deterministic archive generator for benchmarks: `days` date folders (YYYY-MM-DD) ending with
// the newest ("new") day, `files / days` files a day, files with a realistic size spread (mostly
// small
// call recordings, a few large) and mtimes inside their day. Same seed, same archive.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

const pad = (n, width) => String(n).padStart(width, '0');

const DAY = 86_400_000;

/** A small seeded PRNG (mulberry32). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Size spread: 90% 2–16 KiB, 9% 16–128 KiB, 1% 128–512 KiB (compressed call audio). */
function fileSize(rnd) {
  const r = rnd();
  if (r < 0.9) return 2048 + Math.floor(rnd() * 14 * 1024);
  if (r < 0.99) return 16 * 1024 + Math.floor(rnd() * 112 * 1024);
  return 128 * 1024 + Math.floor(rnd() * 384 * 1024);
}

export function dayIds(newest, days) {
  const end = Date.parse(`${newest}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) =>
    new Date(end - (days - 1 - i) * DAY).toISOString().slice(0, 10),
  );
}

/** Lists the archive's files lazily: { rel, size, mtime } in day order. */
export function* archiveFiles({ files, days, newest, seed = 1 }) {
  const rnd = prng(seed);
  const ids = dayIds(newest, days);
  const perDay = Math.floor(files / days);
  for (const day of ids) {
    const start = Date.parse(`${day}T00:00:00Z`);
    for (let i = 0; i < perDay; i++) {
      const agent = 1 + Math.floor(rnd() * 40);
      const mtime = new Date(start + Math.floor(rnd() * (DAY - 60_000)));
      yield {
        rel: `${day}/agent-${pad(agent, 2)}/call-${pad(i, 6)}.wav`,
        size: fileSize(rnd),
        mtime,
      };
    }
  }
}

const block = createHash('sha256').update('recsync bench').digest();
const filler = Buffer.alloc(512 * 1024);
for (let i = 0; i < filler.length; i += block.length) block.copy(filler, i);

/** Content of a file: a header naming it, then filler (compressible content is not the point). */
export function contentOf(rel, size) {
  const head = Buffer.from(`${rel}\n`);
  const out = Buffer.allocUnsafe(size);
  filler.copy(out, 0, 0, size);
  head.copy(out, 0, 0, Math.min(head.length, size));
  return out;
}

/**
 * Creates the archive under `root` unless a marker says the same parameters already built it.
 * Returns { root, perDay, days: ids, newDay }.
 */
export async function ensureArchive(root, params, log = () => {}) {
  const ids = dayIds(params.newest, params.days);
  const perDay = Math.floor(params.files / params.days);
  const marker = path.join(root, '..', 'archive.json');
  const wanted = JSON.stringify(params);
  const existing = await readFile(marker, 'utf8').catch(() => '');
  const info = { root, perDay, days: ids, newDay: ids.at(-1), newFiles: perDay };
  if (existing === wanted) return info;
  await rm(root, { recursive: true, force: true });
  const started = Date.now();
  const made = new Set();
  const queue = [];
  let written = 0;
  for (const f of archiveFiles(params)) {
    const dir = path.dirname(path.join(root, f.rel));
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    queue.push(write(path.join(root, f.rel), contentOf(f.rel, f.size), f.mtime));
    if (queue.length >= 64) await Promise.all(queue.splice(0));
    if (++written % 100_000 === 0) log(`  generated ${written} files`);
  }
  await Promise.all(queue);
  await writeFile(marker, wanted);
  log(`  generated ${written} files in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return info;
}

async function write(file, body, mtime) {
  const handle = await open(file, 'w');
  await handle.write(body);
  await handle.close();
  await utimes(file, mtime, mtime);
}
