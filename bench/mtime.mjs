#!/usr/bin/env node
// The mtime strategy against `find ROOT -newer MARKER -type f | wc -l` on generated archives of
// date folders (old mtimes, one fresh day), page cache warm, interleaved in one run. Prints the
// median wall times, the ratios against find, peak RSS per tree size, and the CPU per stat'ed
// file (where the time goes).
//
//   node bench/mtime.mjs --quick                  (20k and 50k files, 1 run: under a minute)
//   node bench/mtime.mjs                          (200k and 1M files, 3 runs)
//   node bench/mtime.mjs --sizes 200000,1000000 --runs 3 --work /tmp/x --keep --threads 0
//
// Two measurements of recsync: end to end, `recsync plan --json` as a user runs it (start-up,
// config, walk; write-once pruning off; `remoteCheck: 'none'`, so it discovers like find and
// asks the bucket nothing — the strategy's default checks each candidate with a HEAD), which
// the target compares with find; and the walk alone, the strategy instance
// driven directly (create → partitions → files, counting) in a fresh Node process, from the
// first partition to the last file (Node's start and the imports are reported apart). Peak RSS
// is each process's own. Needs the packages built (`npm run bench` builds them). Trees are
// generated under --work (default: the system temp folder) and deleted at the end unless
// --keep. --json FILE also writes the rows as JSON (for bench/run.mjs).
import { spawn } from 'node:child_process';
import {
  closeSync,
  futimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SCRIPT = fileURLToPath(import.meta.url);
const RECSYNC = fileURLToPath(new URL('../packages/cli/bin/run.js', import.meta.url));
const FILES_PER_DAY = 2000;
const AGENTS = 40;
const FIRST_DAY = Date.parse('2024-01-01T00:00:00Z');
const DAY = 86_400_000;
const log = (...a) => console.error(...a);
// For `recsync plan` against the local s3rver.
Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    runs: { type: 'string' },
    work: { type: 'string', default: path.join(os.tmpdir(), 'recsync-bench-mtime') },
    keep: { type: 'boolean', default: false },
    threads: { type: 'string' },
    json: { type: 'string' },
    // internal: the child processes
    generate: { type: 'string' },
    walk: { type: 'string' },
  },
  allowPositionals: true,
});

const dayName = (index) => new Date(FIRST_DAY + index * DAY).toISOString().slice(0, 10);

/**
 * Writes day folders [first, first + count) of `root`; old days get mtimes inside their day, files
 * and folders alike.
 */
function writeDays(root, first, count, total, { old }) {
  const body = Buffer.from('call audio ....\n');
  for (let day = first; day < first + count; day++) {
    const files = Math.min(FILES_PER_DAY, total - day * FILES_PER_DAY);
    const stamp = (FIRST_DAY + day * DAY + 12 * 3_600_000) / 1000;
    const dayDir = path.join(root, dayName(day));
    const agents = Array.from({ length: AGENTS }, (_, a) =>
      path.join(dayDir, `agent-${String(a).padStart(2, '0')}`),
    );
    for (const dir of agents) mkdirSync(dir, { recursive: true });
    for (let i = 0; i < files; i++) {
      const fd = openSync(`${agents[i % AGENTS]}/call-${String(i).padStart(4, '0')}.wav`, 'w');
      writeSync(fd, body);
      if (old) futimesSync(fd, stamp, stamp);
      closeSync(fd);
    }
    if (!old) continue;
    for (const dir of agents) utimesSync(dir, stamp, stamp);
    utimesSync(dayDir, stamp, stamp);
  }
}

/** Generates the old days with bounded concurrency: a few child processes, each a range of days. */
async function generate(root, files) {
  const days = Math.ceil(files / FILES_PER_DAY);
  const oldDays = days - 1;
  const workers = Math.min(8, Math.max(2, os.availableParallelism() * 2));
  const per = Math.ceil(oldDays / workers);
  const t = performance.now();
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const first = w * per;
      const count = Math.max(0, Math.min(per, oldDays - first));
      return count === 0
        ? undefined
        : run(process.execPath, [
            SCRIPT,
            '--generate',
            JSON.stringify({ root, first, count, total: files }),
          ]);
    }),
  );
  // The marker after every old ctime (the kernel stamps with a coarse clock), the fresh day after
  // the marker.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const marker = path.join(path.dirname(root), 'marker');
  await writeFile(marker, '');
  const markerTime = new Date();
  await utimes(marker, markerTime, markerTime);
  await new Promise((resolve) => setTimeout(resolve, 50));
  writeDays(root, oldDays, 1, files, { old: false });
  log(
    `  generated ${files.toLocaleString('en-US')} files in ${days} day folders in ` +
      `${((performance.now() - t) / 1000).toFixed(0)}s`,
  );
  return { marker, newFiles: files - oldDays * FILES_PER_DAY };
}

/** Runs a command; resolves with its wall time (ms) and output. */
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`));
      else resolve({ ms: performance.now() - started, out, err });
    });
  });
}

/**
 * `find ROOT -newer MARKER -type f | wc -l`, with find's CPU time and peak RSS from /usr/bin/time.
 */
async function timeFind(root, marker) {
  const r = await run('sh', [
    '-c',
    '/usr/bin/time -f "%U %S %M" find "$1" -newer "$2" -type f | wc -l',
    'sh',
    root,
    marker,
  ]);
  const [user, sys, rssKB] = r.err.trim().split('\n').at(-1).split(' ').map(Number);
  return { ms: r.ms, files: Number(r.out.trim()), cpuMs: (user + sys) * 1000, rssMB: rssKB / 1024 };
}

/** One walk in a fresh process (see walkChild). */
async function timeWalk(root, cutoff, writeOnce) {
  const threads = opts.threads === undefined ? undefined : Number(opts.threads);
  const r = await run(process.execPath, [
    SCRIPT,
    '--walk',
    JSON.stringify({ root, cutoff, writeOnce, threads }),
  ]);
  return { ...JSON.parse(r.out), processMs: r.ms };
}

/** Child: drives the strategy over the tree and prints what it measured. */
async function walkChild({ root, cutoff, writeOnce, threads }) {
  const startup = performance.now();
  const { mtimeStrategy } = await import('@recsync/strategy-mtime');
  const imported = performance.now();
  const instance = mtimeStrategy.create(mtimeStrategy.options.parse({ writeOnce, threads }), {
    source: root,
    followSymlinks: false,
    warn: log,
  });
  const before = process.resourceUsage();
  const t = performance.now();
  let files = 0;
  const signal = new AbortController().signal;
  for await (const partition of instance.partitions({
    cursor: { cutoff },
    now: new Date(),
    signal,
  })) {
    for await (const _ of partition.files()) files++;
  }
  const ms = performance.now() - t;
  const after = process.resourceUsage();
  const cpuMs =
    (after.userCPUTime - before.userCPUTime + after.systemCPUTime - before.systemCPUTime) / 1000;
  console.log(
    JSON.stringify({
      ms,
      files,
      cpuMs,
      rssMB: peakRssMB(),
      importMs: imported - startup,
      facts: instance.features.describe(),
    }),
  );
  process.exit(0);
}

/**
 * This process's peak RSS. VmHWM belongs to the current address space; getrusage's maxrss on
 * Linux carries over the parent's peak across fork and exec, so it would report the bench's own.
 */
function peakRssMB() {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/** `recsync plan --json` over the tree (mtime strategy from the cutoff), under /usr/bin/time. */
async function timePlan(configFile) {
  const r = await run('/usr/bin/time', [
    '-f',
    '%e %M %U %S',
    process.execPath,
    RECSYNC,
    'plan',
    '--json',
    '--config',
    configFile,
  ]);
  const [, rssKB, user, sys] = r.err.trim().split('\n').at(-1).split(' ').map(Number);
  const files = JSON.parse(r.out).jobs[0].totals.upload.files;
  return { ms: r.ms, files, cpuMs: (user + sys) * 1000, rssMB: rssKB / 1024 };
}

async function writePlanConfig(work, root, cutoff, endpoint) {
  const configFile = path.join(work, 'recsync.config.ts');
  await writeFile(
    configFile,
    `import { defineConfig } from '@recsync/framework';
import { mtimeCutoff } from '@recsync/strategy-mtime';
export default defineConfig({
  stateDir: ${JSON.stringify(path.join(work, 'state'))},
  jobs: { bench: {
    source: ${JSON.stringify(root)},
    target: { bucket: 'bench', endpoint: '${endpoint}', forcePathStyle: true },
    filters: { settle: '0s' },
    remoteCheck: 'none',
    strategy: mtimeCutoff({ start: '${cutoff}', writeOnce: false${
      opts.threads === undefined ? '' : `, threads: ${Number(opts.threads)}`
    } }),
  } },
});
`,
  );
  return configFile;
}

/** `rm -rf`: fs.rm on a million files holds far more memory than the walk being measured. */
const remove = (dir) => run('rm', ['-rf', dir]);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

async function measureSize(size, runs) {
  const work = path.join(opts.work, String(size));
  const root = path.join(work, 'ARCHIVE');
  await remove(work);
  log(`\n== ${size.toLocaleString('en-US')} files: ${root}`);
  let server;
  try {
    const { marker, newFiles } = await generate(root, size);
    const cutoff = new Date(Math.floor((await stat(marker)).mtimeMs)).toISOString();
    const { startS3Server } = await import('@recsync/framework/testing');
    server = await startS3Server({ buckets: ['bench'] });
    const configFile = await writePlanConfig(work, root, cutoff, server.endpoint);
    await timeFind(root, marker); // warm the cache
    await timeWalk(root, cutoff, false);
    const samples = { find: [], plan: [], walk: [], pruned: [] };
    for (let i = 0; i < runs; i++) {
      samples.find.push(await timeFind(root, marker));
      samples.plan.push(await timePlan(configFile));
      samples.walk.push(await timeWalk(root, cutoff, false));
      samples.pruned.push(await timeWalk(root, cutoff, true));
      const last = (k) => samples[k].at(-1);
      log(
        `  run ${i + 1}/${runs}: find ${fmt(last('find').ms)} ms, recsync plan ` +
          `${fmt(last('plan').ms)} ms, walk ${fmt(last('walk').ms)} ms, write-once ` +
          `${fmt(last('pruned').ms)} ms`,
      );
    }
    for (const [name, list] of Object.entries(samples)) {
      const wrong = list.find((s) => s.files !== newFiles);
      if (wrong) throw new Error(`${name} found ${wrong.files} files, expected ${newFiles}`);
    }
    const pick = (list) => ({
      ...list.find((s) => s.ms === median(list.map((x) => x.ms))),
      rssMB: Math.max(...list.map((s) => s.rssMB)),
    });
    return {
      size,
      newFiles,
      find: pick(samples.find),
      plan: pick(samples.plan),
      walk: pick(samples.walk),
      pruned: pick(samples.pruned),
    };
  } finally {
    await server?.stop();
    if (!opts.keep) await remove(work);
  }
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

function report(rows, runs) {
  const lines = [
    `Archive: date folders of ${FILES_PER_DAY} files (${AGENTS} agent folders each), old ` +
      'mtimes, the newest day fresh. ' +
      `Median of ${runs} run(s), page cache warm. recsync = the strategy's walk (threads: ` +
      `${opts.threads ?? 'default, 2'}), Node start and imports apart.`,
    '',
    '| files | new | find -newer ms | recsync plan ms (end to end) | plan / find | plan peak RSS ' +
      'MB | recsync walk ms | walk / find | write-once ms | find / write-once | peak RSS ' +
      'walk, write-once MB | CPU µs per file: find, walk |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.size.toLocaleString('en-US')} | ${r.newFiles} | ${fmt(r.find.ms)} | ` +
        `${fmt(r.plan.ms)} | ${fmt(r.plan.ms / r.find.ms, 2)}x | ${fmt(r.plan.rssMB)} | ` +
        `${fmt(r.walk.ms)} | ${fmt(r.walk.ms / r.find.ms, 2)}x | ` +
        `${fmt(r.pruned.ms)} | ${fmt(r.find.ms / r.pruned.ms, 1)}x | ${fmt(r.walk.rssMB)}, ` +
        `${fmt(r.pruned.rssMB)} | ` +
        `${fmt((r.find.cpuMs * 1000) / r.size, 2)}, ` +
        `${fmt((r.walk.cpuMs * 1000) / r.walk.facts.filesStated, 2)} |`,
    );
  }
  const last = rows.at(-1);
  const first = rows[0];
  lines.push(
    '',
    'Targets:',
    '- recsync plan end to end (start-up included, write-once off) ≤ 1.0x find: ' +
      `${rows
        .map(
          (r) =>
            `${fmt(r.plan.ms / r.find.ms, 2)}x at ${r.size.toLocaleString('en-US')} ` +
            `(${r.plan.ms / r.find.ms <= 1 ? 'met' : 'missed'})`,
        )
        .join(', ')}`,
    '- peak RSS of plan ≤ 150 MB: ' +
      `${rows
        .map(
          (r) =>
            `${fmt(r.plan.rssMB)} MB at ${r.size.toLocaleString('en-US')} ` +
            `(${r.plan.rssMB <= 150 ? 'met' : 'missed'})`,
        )
        .join(', ')}`,
    '- walk alone ≤ 1.0x find: ' +
      `${rows
        .map((r) => `${fmt(r.walk.ms / r.find.ms, 2)}x at ` + `${r.size.toLocaleString('en-US')}`)
        .join(', ')}`,
    '- write-once pruning ≥ 5x faster than find: ' +
      `${rows
        .map((r) => `${fmt(r.find.ms / r.pruned.ms, 1)}x at ` + `${r.size.toLocaleString('en-US')}`)
        .join(', ')}`,
    `- peak RSS flat as the tree grows: walk ${fmt(first.walk.rssMB)} → ${fmt(last.walk.rssMB)} ` +
      `MB, write-once ${fmt(first.pruned.rssMB)} → ${fmt(last.pruned.rssMB)} MB`,
    `- Node start + imports (not in the walk times): ${fmt(last.walk.importMs)} ms of ` +
      `${fmt(last.walk.processMs)} ms for the walk's process`,
    `- walk at ${last.size.toLocaleString('en-US')}: ` +
      `${last.walk.facts.filesStated.toLocaleString('en-US')} files stat'ed in ` +
      `${last.walk.facts.dirsWalked.toLocaleString('en-US')} folders; ` +
      `write-once: ${last.pruned.facts.filesStated.toLocaleString('en-US')} stat'ed, ` +
      `${last.pruned.facts.dirsWalked.toLocaleString('en-US')} folders read, ` +
      `${last.pruned.facts.prunedDirs.toLocaleString('en-US')} pruned`,
  );
  return lines.join('\n');
}

async function main() {
  const sizes = (opts.sizes ?? (opts.quick ? '20000,50000' : '200000,1000000'))
    .split(',')
    .map(Number);
  const runs = Number(opts.runs ?? (opts.quick ? 1 : 3));
  const rows = [];
  for (const size of sizes) rows.push(await measureSize(size, runs));
  // only when empty: --work may hold other things
  if (!opts.keep) await rmdir(opts.work).catch(() => undefined);
  console.log(report(rows, runs));
  if (opts.json) await writeFile(opts.json, `${JSON.stringify({ runs, rows }, null, 2)}\n`);
}

if (opts.generate) {
  const { root, first, count, total } = JSON.parse(opts.generate);
  writeDays(root, first, count, total, { old: true });
} else if (opts.walk) {
  await walkChild(JSON.parse(opts.walk));
} else {
  await main();
}
