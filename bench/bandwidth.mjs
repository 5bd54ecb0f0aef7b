#!/usr/bin/env node
// Upload bandwidth limit (`upload.maxBandwidth`): syncs a day of files (single PUTs and
// multipart uploads, 16 in flight) to a local s3rver through the real config → engine → S3
// client path, once without a limit and once with it, and prints the achieved rate against the
// set one. The time counted runs from the `run` hook (bucket checked) to the end of the sync.
//
//   node bench/bandwidth.mjs                     (64 MiB at 8MiB/s: about 10 s)
//   node bench/bandwidth.mjs --rate 4MiB/s --mib 32 --check
//
// --check measures up to twice and exits 1 when no measurement is within 15% of the set rate
// (a busy machine stretches a run's start and end, the limiter itself does not drift); when the
// store
// is not at least twice as fast without it (the check would then measure the store, not the
// limiter: it says so and passes).
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
for (const name of [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'all_proxy',
])
  delete process.env[name];

const { values: opts } = parseArgs({
  options: {
    rate: { type: 'string', default: '8MiB/s' },
    mib: { type: 'string', default: '64' },
    check: { type: 'boolean', default: false },
  },
});

const { resolveConfig, syncJob, parseBandwidth, definePlugin } = await import(
  '@recsync/framework/internal'
);
const { startS3Server, createTestClient } = await import('@recsync/framework/testing');
const { dateFolders } = await import('@recsync/strategy-date');

const rate = parseBandwidth(opts.rate);
if (!rate) throw new Error(`--rate: expected a rate such as 8MiB/s, got ${opts.rate}`);
const totalMiB = Number(opts.mib);
const MiB = 1024 * 1024;

const server = await startS3Server();
const client = createTestClient(server.endpoint);
const work = await mkdtemp(path.join(os.tmpdir(), 'recsync-bandwidth-'));
try {
  // Two multipart files (6 MiB: two 5 MiB parts) first, then 2 MiB files that keep 16 uploads
  // in flight to the end, so the pipe is never idle for lack of work (each file is read for its
  // checksum before its upload starts).
  const day = '2026-01-05';
  const dir = path.join(work, 'archive', day);
  await mkdir(dir, { recursive: true });
  const bigMiB = 6;
  const sizes = [bigMiB * MiB, bigMiB * MiB];
  for (let left = totalMiB - 2 * bigMiB; left > 0; left -= 2) sizes.push(Math.min(left, 2) * MiB);
  const old = new Date('2026-01-05T12:00:00Z');
  for (const [i, size] of sizes.entries()) {
    const file = path.join(dir, `rec-${String(i).padStart(3, '0')}.bin`);
    await writeFile(file, randomBytes(size));
    await utimes(file, old, old);
  }
  const bytes = sizes.reduce((a, b) => a + b, 0);

  const measure = async (label, maxBandwidth) => {
    const bucket = `bw-${randomBytes(4).toString('hex')}`;
    await client.createBucket(bucket);
    let started = 0;
    const clock = definePlugin({
      name: 'bench-clock',
      apply: (hooks) => hooks.run.tap('bench-clock', () => void (started = performance.now())),
    });
    const config = {
      stateDir: path.join(work, `state-${bucket}`),
      jobs: {
        bw: {
          source: path.join(work, 'archive'),
          target: { bucket, endpoint: server.endpoint, forcePathStyle: true },
          strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' }),
          upload: {
            concurrency: 16,
            multipartThreshold: '5MiB',
            partSize: '5MiB',
            ...(maxBandwidth ? { maxBandwidth } : {}),
          },
          filters: { settle: '0' },
          plugins: [clock],
        },
      },
    };
    const { jobs } = await resolveConfig(config, { importModule: (s) => import(s) });
    const stats = await syncJob(jobs[0], { range: { since: day, until: day } });
    const seconds = (performance.now() - started) / 1000;
    if (stats.counts.uploaded.files !== sizes.length)
      throw new Error(`${label}: uploaded ${stats.counts.uploaded.files} of ${sizes.length} files`);
    return seconds;
  };

  const f = (n) => n.toFixed(2);
  const free = await measure('no limit');
  const headroom = bytes / free / rate;
  console.log(
    `bandwidth: ${f(bytes / MiB)} MiB in ${sizes.length} files ` +
      `(${sizes.filter((s) => s > 5 * MiB).length} multipart), 16 in flight`,
  );
  console.log(
    `  no limit:        ${f(free)} s = ${f(bytes / free / MiB)} MiB/s (${f(headroom)}x the limit)`,
  );
  // A busy machine stretches the start and the end of a run (listing, the last responses); a
  // second measurement tells that noise from a limiter that is off.
  const ratios = [];
  for (let attempt = 0; attempt < (opts.check ? 2 : 1); attempt++) {
    const limited = await measure('limited', opts.rate);
    ratios.push(bytes / limited / rate);
    console.log(
      `  limit ${opts.rate}: ${f(limited)} s = ${f(bytes / limited / MiB)} MiB/s, achieved ` +
        `/ set rate = ${f(ratios.at(-1))}`,
    );
    if (ratios.at(-1) >= 0.85 && ratios.at(-1) <= 1.15) break;
  }
  if (opts.check) {
    const best = ratios.reduce((a, b) => (Math.abs(a - 1) <= Math.abs(b - 1) ? a : b));
    if (headroom < 2) {
      console.log(
        `  check skipped: without a limit the store reached only ${f(headroom)}x the rate; ` +
          'lower --rate',
      );
    } else if (best < 0.85 || best > 1.15) {
      console.log(
        `  check FAILED: achieved / set rate ${ratios.map(f).join(', ')}, target 0.85–1.15`,
      );
      process.exitCode = 1;
    } else {
      console.log(`  check passed: achieved / set rate ${f(best)} (target 0.85–1.15)`);
    }
  }
} finally {
  client.destroy();
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
