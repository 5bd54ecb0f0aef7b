#!/usr/bin/env node
// Scale-out benchmark: one `recsync sync` against 3 `recsync sync --shard I/3` processes started
// at once, on the same generated archive and the same local S3 server (a fresh bucket each).
// Reports wall time, the ratio, and where the time goes: CPU of the recsync processes (summed)
// and of the S3 server, against wall time × cores.
//
//   node --openssl-legacy-provider bench/shards.mjs            (3,000 files of 16 KiB, 3 runs each)
//   node --openssl-legacy-provider bench/shards.mjs --quick    (900 files, 1 run each)
//
// Needs the built packages (`npm run build`).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTestClient, startS3Server } from '@recsync/framework/testing';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '..', 'packages', 'cli', 'bin', 'run.js');
const { values: opts } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, shards: { type: 'string', default: '3' } },
});
const FILES = opts.quick ? 900 : 3000;
const RUNS = opts.quick ? 1 : 3;
const SHARDS = Number(opts.shards);
const DAYS = 3;
const log = (...a) => console.error(...a);
const TICK = 100; // clock ticks per second in /proc (USER_HZ)

/** CPU seconds of a process (utime + stime) or of this process's waited-for children. */
function cpuOf(pid, children = false) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const at = children ? 13 : 11; // cutime/cstime (fields 16, 17) or utime/stime (14, 15)
  return (Number(fields[at]) + Number(fields[at + 1])) / TICK;
}

async function makeArchive(root) {
  const today = Date.UTC(
    new Date().getUTCFullYear(),
    new Date().getUTCMonth(),
    new Date().getUTCDate(),
  );
  for (let d = 0; d < DAYS; d++) {
    const day = new Date(today - (DAYS - d) * 86_400_000).toISOString().slice(0, 10);
    await mkdir(path.join(root, day), { recursive: true });
    for (let i = 0; i < FILES / DAYS; i++) {
      const file = path.join(root, day, `rec-${String(i).padStart(5, '0')}.wav`);
      await writeFile(file, Buffer.alloc(16 * 1024, i % 251));
      const t = new Date(`${day}T12:00:00Z`);
      await utimes(file, t, t);
    }
  }
}

function run(args, cwd) {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    };
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`recsync ${args.join(' ')} exited ${code}: ${err}`)),
    );
  });
}

async function scenario(server, client, source, shards) {
  const bucket = `bench-${Math.random().toString(16).slice(2, 10)}`;
  await client.createBucket(bucket);
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-bench-shards-'));
  await writeFile(
    path.join(cwd, 'recsync.config.json'),
    JSON.stringify({
      jobs: {
        rec: {
          source,
          target: { bucket, endpoint: server.endpoint, forcePathStyle: true },
          strategy: {
            use: '@recsync/strategy-date',
            with: { layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' },
          },
          upload: { concurrency: 32 },
        },
      },
    }),
  );
  const cpu0 = cpuOf('self', true);
  const server0 = cpuOf(server.pid);
  const started = performance.now();
  const args = (i) => [
    'sync',
    '--config',
    path.join(cwd, 'recsync.config.json'),
    ...(shards > 1 ? ['--shard', `${i}/${shards}`] : []),
  ];
  await Promise.all(Array.from({ length: shards }, (_, i) => run(args(i), cwd)));
  const wall = (performance.now() - started) / 1000;
  const keys = await client.keys(bucket);
  if (keys.length !== FILES) throw new Error(`expected ${FILES} objects, found ${keys.length}`);
  await rm(cwd, { recursive: true, force: true });
  return { wall, recsyncCpu: cpuOf('self', true) - cpu0, serverCpu: cpuOf(server.pid) - server0 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const source = await mkdtemp(path.join(os.tmpdir(), 'recsync-bench-archive-'));
await makeArchive(source);
const server = await startS3Server();
const client = createTestClient(server.endpoint);
try {
  const results = { 1: [], [SHARDS]: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const n of [1, SHARDS]) {
      const res = await scenario(server, client, source, n);
      results[n].push(res);
      log(
        `run ${r + 1}: ${n} process(es): ${res.wall.toFixed(2)} s wall, recsync CPU ` +
          `${res.recsyncCpu.toFixed(2)} s, server CPU ${res.serverCpu.toFixed(2)} s`,
      );
    }
  }
  const pick = (n, k) => median(results[n].map((x) => x[k]));
  const one = pick(1, 'wall');
  const many = pick(SHARDS, 'wall');
  const cores = os.availableParallelism();
  const line = (n) =>
    `${n === 1 ? '1 process' : `${n} shards`}: ${pick(n, 'wall').toFixed(2)} s wall; CPU ` +
    `recsync ${pick(n, 'recsyncCpu').toFixed(2)} s, server ` +
    `${pick(n, 'serverCpu').toFixed(2)} s (of ${(pick(n, 'wall') * cores).toFixed(2)} s ` +
    `available on ${cores} cores)`;
  console.log(
    `shards benchmark: ${FILES} files of 16 KiB in ${DAYS} day folders, local s3rver, ` +
      `median of ${RUNS}`,
  );
  console.log(line(1));
  console.log(line(SHARDS));
  console.log(`ratio ${SHARDS} shards / 1 process wall time: ${(many / one).toFixed(2)}x`);
} finally {
  client.destroy();
  await server.stop();
  await rm(source, { recursive: true, force: true });
}
