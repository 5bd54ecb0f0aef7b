// Deterministic archive generator for benchmarks: `days` date folders (YYYY-MM-DD) ending with
// the newest ("new") day, `files / days` files a day, files with a realistic size spread (mostly
// small
// call recordings, a few large) and mtimes inside their day. Same seed, same archive.
// With `realDays`, only the newest `realDays` days get contents; older files are empty (same
// names and mtimes): nothing in the benchmark reads them, and a 7M-file archive then costs
// inodes rather than 100+ GB.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
export function* archiveFiles({ files, days, newest, seed = 1, realDays = Infinity }) {
  const rnd = prng(seed);
  const ids = dayIds(newest, days);
  const perDay = Math.floor(files / days);
  for (const [index, day] of ids.entries()) {
    const real = index >= ids.length - realDays;
    const start = Date.parse(`${day}T00:00:00Z`);
    for (let i = 0; i < perDay; i++) {
      const agent = 1 + Math.floor(rnd() * 40);
      const mtime = new Date(start + Math.floor(rnd() * (DAY - 60_000)));
      const size = fileSize(rnd); // drawn for every file, so the sequence is the same either way
      yield {
        rel: `${day}/agent-${pad(agent, 2)}/call-${pad(i, 6)}.wav`,
        size: real ? size : 0,
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
 * Creates the archive under `root` unless a marker says the same parameters already built it
 * (and the new day is complete: an interrupted build is built again).
 * Returns { root, perDay, days: ids, newDay, reused }.
 */
export async function ensureArchive(root, params, log = () => {}) {
  const ids = dayIds(params.newest, params.days);
  const perDay = Math.floor(params.files / params.days);
  const marker = path.join(root, '..', 'archive.json');
  const wanted = JSON.stringify(params);
  const existing = await readFile(marker, 'utf8').catch(() => '');
  const info = { root, perDay, days: ids, newDay: ids.at(-1), newFiles: perDay };
  if (existing === wanted && (await countFiles(path.join(root, info.newDay))) === perDay)
    return { ...info, reused: true };
  await rm(marker, { force: true });
  await run('rm', ['-rf', root]); // fs.rm holds every path of a million-file tree in memory
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
  return { ...info, reused: false };
}

/** Files under `dir` (recursive), 0 when it does not exist. */
export async function countFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).length;
}

/** Runs a command to completion; rejects on a non-zero exit. */
export function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
}

/**
 * `count` files of `mib` MiB each in `dir` (incompressible-looking content, distinct per file),
 * unless a marker says they are there. Returns the file names.
 */
export async function ensureLargeFiles(dir, count, mib, log, mtime) {
  const marker = path.join(dir, '..', 'large.json');
  const wanted = JSON.stringify({ count, mib, mtime: mtime.toISOString(), v: 1 });
  const names = Array.from({ length: count }, (_, i) => `take-${String(i).padStart(2, '0')}.bin`);
  if ((await readFile(marker, 'utf8').catch(() => '')) === wanted) return names;
  await rm(marker, { force: true });
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const started = Date.now();
  const block = randomBytes(1024 * 1024);
  for (const [n, name] of names.entries()) {
    const handle = await open(path.join(dir, name), 'w');
    for (let i = 0; i < mib; i++) {
      block.writeUInt32BE(n * mib + i, 0); // every MiB differs
      await handle.write(block);
    }
    await handle.utimes(mtime, mtime);
    await handle.close();
  }
  await writeFile(marker, wanted);
  log(`  generated ${count} × ${mib} MiB in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return names;
}

async function write(file, body, mtime) {
  const handle = await open(file, 'w');
  if (body.length > 0) await handle.write(body);
  await handle.utimes(mtime, mtime);
  await handle.close();
}
