// `recsync verify --all` at scale: a date-folder archive (2,000 small files a day in 40 agent
// folders), the bucket pre-filled with every file through s3rver's own store, then `verify --all`
// (listing level) timed with its peak RSS; with --rclone also `rclone check --size-only --one-way`
// (Debian's rclone 1.60 finds no objects in s3rver's listings here, so it is off by default).
// File contents are small: a listing check reads no bytes, so size does not change its cost.
//
//   node --openssl-legacy-provider bench/verify.mjs --files 1000000 [--work DIR] [--rclone]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { seedStore, startS3Server, createTestClient } from '@recsync/framework/testing';
import { archiveFiles } from './lib/archive.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    files: { type: 'string', default: '1000000' },
    work: { type: 'string', default: path.join(os.tmpdir(), 'recsync-bench-verify') },
    rclone: { type: 'boolean', default: false },
  },
});
const FILES = Number(opts.files);
const PER_DAY = 2000;
const DAYS = Math.max(1, Math.round(FILES / PER_DAY));
const NEWEST = '2026-11-24';
const work = path.join(opts.work, String(FILES));
const root = path.join(work, 'RECORDINGS');
const log = (...a) => console.error(...a);
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const small = (rel) => Buffer.from(`${rel}\n`);
const files = () => archiveFiles({ files: DAYS * PER_DAY, days: DAYS, newest: NEWEST, seed: 1 });

function measure(cmd, args, extraEnv = {}) {
  return new Promise((resolve) => {
    const timeFile = path.join(os.tmpdir(), `recsync-bench-verify-time-${process.pid}`);
    const child = spawn('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, cmd, ...args], {
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', async (code) => {
      const [seconds, rss] = (await readFile(timeFile, 'utf8'))
        .trim()
        .split('\n')
        .at(-1)
        .split(' ')
        .map(Number);
      resolve({ code, seconds, rssMB: rss / 1024, out, err });
    });
  });
}

async function buildArchive() {
  const marker = path.join(work, 'archive.done');
  if (existsSync(marker)) return;
  await rm(root, { recursive: true, force: true });
  const started = Date.now();
  const made = new Set();
  let n = 0;
  let batch = [];
  const flush = async () => {
    await Promise.all(
      batch.map(async (f) => {
        await writeFile(path.join(root, f.rel), small(f.rel));
        await utimes(path.join(root, f.rel), f.mtime, f.mtime);
      }),
    );
    batch = [];
  };
  for (const f of files()) {
    const dir = path.dirname(path.join(root, f.rel));
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    batch.push(f);
    if (batch.length >= 256) await flush();
    if (++n % 100_000 === 0) log(`  archive: ${n.toLocaleString('en-US')} files`);
  }
  await flush();
  await writeFile(marker, '');
  log(
    `  archive of ${n.toLocaleString('en-US')} files built in ` +
      `${((Date.now() - started) / 1000).toFixed(0)}s`,
  );
}

async function main() {
  await mkdir(work, { recursive: true });
  log(
    `== verify --all over ${(DAYS * PER_DAY).toLocaleString('en-US')} files (${DAYS} ` +
      `days): ${work}`,
  );
  await buildArchive();
  const s3dir = path.join(work, 's3');
  const seeded = existsSync(path.join(work, 'bucket.done'));
  if (!seeded) await rm(s3dir, { recursive: true, force: true });
  await mkdir(s3dir, { recursive: true });
  const server = await startS3Server({ directory: s3dir });
  try {
    if (!seeded) {
      const client = createTestClient(server.endpoint);
      await client.createBucket('bench').catch(() => undefined);
      client.destroy();
      const t = Date.now();
      const count = await seedStore(
        s3dir,
        'bench',
        (function* () {
          for (const f of files()) yield { key: f.rel, body: small(f.rel) };
        })(),
      );
      await writeFile(path.join(work, 'bucket.done'), '');
      log(
        `  bucket pre-filled with ${count.toLocaleString('en-US')} objects in ` +
          `${((Date.now() - t) / 1000).toFixed(0)}s`,
      );
    }
    const config = path.join(work, 'recsync.config.json');
    await writeFile(
      config,
      JSON.stringify({
        stateDir: path.join(work, 'state'),
        jobs: {
          rec: {
            source: root,
            target: { bucket: 'bench', endpoint: server.endpoint, forcePathStyle: true },
            strategy: {
              use: '@recsync/strategy-date',
              with: { layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' },
            },
          },
        },
      }),
    );
    const bin = path.join(here, '..', 'packages', 'cli', 'bin', 'run.js');
    const results = [];
    const verify = await measure(process.execPath, [
      bin,
      'verify',
      '--all',
      '--json',
      '--config',
      config,
    ]);
    const summary = JSON.parse(verify.out.trim().split('\n').at(-1));
    if (verify.code !== 0) log(verify.err, verify.out.split('\n').slice(0, 5).join('\n'));
    results.push({
      command: 'recsync verify --all',
      seconds: verify.seconds,
      rssMB: verify.rssMB,
      exit: verify.code,
      checked: summary.files,
      objects: summary.objects,
    });
    log(
      `  recsync verify --all: ${verify.seconds}s, peak RSS ${verify.rssMB.toFixed(0)} MB, ` +
        `exit ${verify.code}, ${summary.files} files / ${summary.objects} objects`,
    );
    const rclone = ['/usr/bin/rclone', '/usr/local/bin/rclone'].find((p) => existsSync(p));
    if (rclone && opts.rclone) {
      const r = await measure(
        rclone,
        ['check', root, 'bench:bench', '--size-only', '--one-way', '--checkers', '32', '-q'],
        {
          RCLONE_CONFIG_BENCH_TYPE: 's3',
          RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
          RCLONE_CONFIG_BENCH_ENDPOINT: server.endpoint,
          RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: 'S3RVER',
          RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: 'S3RVER',
          RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
          RCLONE_CONFIG_BENCH_LIST_VERSION: '2',
          RCLONE_CONFIG_BENCH_LIST_URL_ENCODE: 'false',
          AWS_CA_BUNDLE: '',
        },
      );
      if (r.code !== 0) log(r.err.split('\n').slice(-5).join('\n'));
      results.push({
        command: 'rclone check --size-only --one-way',
        seconds: r.seconds,
        rssMB: r.rssMB,
        exit: r.code,
      });
      log(
        `  rclone check --size-only --one-way: ${r.seconds}s, peak RSS ` +
          `${r.rssMB.toFixed(0)} MB, exit ${r.code}`,
      );
    }
    console.log(
      JSON.stringify({ files: DAYS * PER_DAY, days: DAYS, folders: DAYS * 41, results }, null, 2),
    );
  } finally {
    await server.stop();
  }
}

await main();
