#!/usr/bin/env node
// `npm run demo`: builds a 14-day sample archive of fake call recordings, starts a local
// S3-compatible server (s3rver) on a free port, pre-fills the bucket with the first 10 days as
// an old `aws s3 sync` job would have, then runs `recsync plan`, `recsync sync`, a second
// `recsync sync` (nothing left to do), `recsync status` and the metrics file, shows what landed,
// and stops the
// server. Everything lives in examples/demo/.demo and is recreated on each run.
// the pinned SDK supports Node 20
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTree,
  createTestClient,
  startS3Server,
  S3RVER_CREDENTIALS,
} from '@recsync/framework/testing';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoDir = path.join(here, '.demo');
const archive = path.join(demoDir, 'RECORDINGS');
const bucket = 'call-recording-backup';
const DAY = 86_400_000;
const DAYS = 14;
const PREFILLED = 10;

function dayId(time) {
  return new Date(time).toISOString().slice(0, 10);
}

/** A deterministic little random generator, so every demo shows the same archive. */
function random(seed) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function archiveSpec(now) {
  const rnd = random(42);
  const spec = {};
  const today = Date.UTC(
    new Date(now).getUTCFullYear(),
    new Date(now).getUTCMonth(),
    new Date(now).getUTCDate(),
  );
  for (let d = DAYS - 1; d >= 0; d--) {
    const start = today - d * DAY;
    const calls = 12 + Math.floor(rnd() * 12);
    for (let i = 0; i < calls; i++) {
      const at =
        d === 0
          ? now - 10 * 60_000 - Math.floor(rnd() * 60 * 60_000)
          : start + Math.floor(rnd() * DAY);
      const agent = 1 + Math.floor(rnd() * 9);
      const name = `${dayId(start)}/call-${String(i).padStart(4, '0')}-agent${agent}.wav`;
      spec[name] = {
        size: 8 * 1024 + Math.floor(rnd() * 56 * 1024),
        mtime: new Date(Math.max(start, at)),
      };
    }
  }
  const todayId = dayId(today);
  // younger than settle: deferred
  spec[`${todayId}/call-9998-being-recorded.wav`] = { size: 12 * 1024, mtime: new Date(now) };
  // excluded
  spec[`${todayId}/call-9999.wav.tmp`] = { size: 4 * 1024, mtime: new Date(now - 30 * 60_000) };
  spec['misc/readme.txt'] = 'not a date folder: ignored by the strategy';
  return {
    spec,
    firstDays: Array.from({ length: PREFILLED }, (_, i) => dayId(today - (DAYS - 1 - i) * DAY)),
  };
}

function recsync(args, env) {
  console.log(`\n$ recsync ${args.join(' ')}`);
  const bin = path.join(here, '..', '..', 'node_modules', '.bin', 'recsync');
  const result = spawnSync(bin, [...args, '--config', path.join(here, 'recsync.config.ts')], {
    stdio: 'inherit',
    env,
    cwd: here,
  });
  console.log(`(exit ${result.status})`);
  return result.status;
}

async function main() {
  await rm(demoDir, { recursive: true, force: true });
  const now = Date.now();
  const { spec, firstDays } = archiveSpec(now);
  const tree = await createTree(spec, { root: archive });
  console.log(
    `demo archive: ${Object.keys(spec).length} files in ${DAYS} date folders under ${tree.root}`,
  );

  const server = await startS3Server({ buckets: [bucket] });
  console.log(`local S3-compatible server (s3rver): ${server.endpoint}, bucket ${bucket}`);
  const client = createTestClient(server.endpoint);
  let failures = 0;
  try {
    const old = Object.keys(spec).filter((p) => firstDays.some((d) => p.startsWith(`${d}/`)));
    for (const p of old) await client.put(bucket, p, tree.contentOf(p, spec[p]));
    console.log(
      `pre-filled the bucket with ${old.length} files of the first ${PREFILLED} days (an ` +
        `old backup job's work)`,
    );

    const env = {
      ...process.env,
      RECSYNC_DEMO_DIR: demoDir,
      RECSYNC_DEMO_ENDPOINT: server.endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
    for (const args of [['plan'], ['sync'], ['sync'], ['status']]) {
      const status = recsync(args, env);
      if (status !== 0) failures++;
    }

    console.log(
      `\n$ cat .demo/metrics/recsync.prom   # metrics.textfile, rewritten after every sync`,
    );
    console.log((await readFile(path.join(demoDir, 'metrics', 'recsync.prom'), 'utf8')).trim());

    const keys = await client.keys(bucket);
    const perDay = new Map();
    for (const key of keys) perDay.set(key.split('/')[0], (perDay.get(key.split('/')[0]) ?? 0) + 1);
    console.log(`\nwhat landed: ${keys.length} objects in s3://${bucket}/`);
    for (const [day, count] of [...perDay].sort()) console.log(`  ${day}/  ${count} objects`);
    const sample = keys.at(-1);
    if (sample) {
      const local = tree.contentOf(sample, spec[sample]);
      const remote = await client.get(bucket, sample);
      const head = await client.head(bucket, sample);
      console.log(
        `sample ${sample}: ${remote.length} bytes, byte-exact: ` +
          `${Buffer.compare(local, remote) === 0}, metadata ${JSON.stringify(head.metadata)}`,
      );
      if (Buffer.compare(local, remote) !== 0) failures++;
    }
  } finally {
    client.destroy();
    await server.stop();
    console.log(
      '\nlocal S3 server stopped. Archive and state stay in examples/demo/.demo until the ' +
        'next demo.',
    );
  }
  if (failures > 0) process.exitCode = 1;
}

await main();
