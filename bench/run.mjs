#!/usr/bin/env node
// `npm run bench`: recsync against `aws s3 sync`, rclone, `find` and a bare SDK loop on the same
// generated archives and the same local S3 server, interleaved in one run. Prints a Markdown
// table and writes bench/results/latest.{md,json,svg}. Also runs the strategies' own benchmarks.
//
//   npm run bench -- --quick              (6k and 30k files, 500 a day, 1 run: a minute or two)
//   npm run bench                         (50k and 200k files, 2,000 a day, 3 runs)
//   npm run bench -- --sizes 50000,200000,1000000 --runs 3
//
// Peers come from Debian: apt-get install awscli rclone (skipped when missing).
// the pinned SDK supports Node 20
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { JobState, stateFilePath } from '@recsync/framework';
import { createTestClient, seedStore, startS3Server } from '@recsync/framework/testing';
import { loadConfig } from '@recsync/cli';
import { contentOf, archiveFiles, ensureArchive } from './lib/archive.mjs';
import { cases } from './lib/tools.mjs';
import { markdown, summarize, svgChart } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    runs: { type: 'string' },
    only: { type: 'string' },
    work: { type: 'string', default: path.join(os.tmpdir(), 'recsync-bench') },
    'skip-strategies': { type: 'boolean', default: false },
  },
});
const sizes = (opts.sizes ?? (opts.quick ? '6000,30000' : '50000,200000')).split(',').map(Number);
if (opts.quick) process.env.RECSYNC_BENCH_PER_DAY ??= '500';
const runs = Number(opts.runs ?? (opts.quick ? 1 : 3));
/**
 * Files a day: the new day has the same size whatever the archive's size (more days = bigger
 * archive).
 */
const PER_DAY = Number(process.env.RECSYNC_BENCH_PER_DAY ?? 2000);
const BUCKET = 'bench';
const log = (...a) => console.error(...a);
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_PAGER: '',
};

/** Runs a command under /usr/bin/time; returns seconds, peak RSS (KB) and stdout. */
function measure(cmd, args, extraEnv = {}) {
  return new Promise((resolve) => {
    const timeFile = path.join(os.tmpdir(), `recsync-bench-time-${process.pid}`);
    const childEnv = { ...env, ...extraEnv };
    for (const [k, v] of Object.entries(extraEnv)) if (v === '') delete childEnv[k];
    const child = spawn('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, cmd, ...args], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', async (code) => {
      const [seconds, rss] = (await readFile(timeFile, 'utf8').catch(() => '0 0'))
        .trim()
        .split('\n')
        .at(-1)
        .split(' ')
        .map(Number);
      resolve({ code, seconds, rssKB: rss, out, err });
    });
  });
}

async function prepareSize(size) {
  const work = path.join(opts.work, String(size));
  const newest = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  log(`\n== ${size.toLocaleString('en-US')} files: ${work}`);
  const days = Math.max(3, Math.round(size / PER_DAY));
  const archive = await ensureArchive(
    path.join(work, 'RECORDINGS'),
    { files: days * PER_DAY, days, newest, seed: 1 },
    log,
  );
  const s3dir = path.join(work, 's3');
  await rm(s3dir, { recursive: true, force: true });
  await mkdir(s3dir, { recursive: true });
  const server = await startS3Server({ buckets: [BUCKET], directory: s3dir });
  const old = (function* () {
    for (const f of archiveFiles({ files: days * PER_DAY, days, newest, seed: 1 }))
      if (!f.rel.startsWith(archive.newDay)) yield { key: f.rel, body: contentOf(f.rel, f.size) };
  })();
  const t = Date.now();
  const seeded = await seedStore(s3dir, BUCKET, old);
  log(
    `  bucket pre-filled with ${seeded} objects (all days but ${archive.newDay}) in ` +
      `${((Date.now() - t) / 1000).toFixed(1)}s`,
  );
  const configFile = path.join(work, 'recsync.config.ts');
  await writeFile(
    configFile,
    `import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';
export default defineConfig({
  stateDir: ${JSON.stringify(path.join(work, 'state'))},
  jobs: { bench: {
    source: ${JSON.stringify(archive.root)},
    target: { bucket: '${BUCKET}', endpoint: '${server.endpoint}', forcePathStyle: true },
    strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' }),
    upload: { concurrency: 64 },
  } },
});
`,
  );
  // The state a nightly job has the morning after: everything through the day before the new one.
  const [job] = (await loadConfig({ configPath: configFile, cwd: work })).jobs;
  await rm(path.join(work, 'state'), { recursive: true, force: true });
  const state = await JobState.load(job);
  state.cursor = { through: archive.days.at(-2) };
  await state.save();
  const stateSnapshot = await readFile(stateFilePath(job), 'utf8');
  const marker = path.join(work, 'marker');
  await writeFile(marker, '');
  const newDayStart = Date.parse(`${archive.newDay}T00:00:00Z`);
  await utimes(marker, new Date(newDayStart - 1000), new Date(newDayStart - 1000));
  return {
    work,
    server,
    s3dir,
    archive,
    configFile,
    stateFile: stateFilePath(job),
    stateSnapshot,
    marker,
    newDayStart,
  };
}

async function resetTarget(p) {
  await rm(path.join(p.s3dir, BUCKET, p.archive.newDay), { recursive: true, force: true });
  await writeFile(p.stateFile, p.stateSnapshot);
}

async function runCase(c, p, client) {
  const ctx = {
    root: p.archive.root,
    newDay: p.archive.newDay,
    newFiles: p.archive.newFiles,
    bucket: BUCKET,
    endpoint: p.server.endpoint,
    configFile: p.configFile,
    marker: p.marker,
    newDayStart: p.newDayStart,
  };
  await resetTarget(p);
  const [cmd, args, extraEnv] = c.command(ctx);
  const r = await measure(cmd, args, extraEnv);
  let error = r.code === 0 ? undefined : `exit ${r.code}: ${r.err.trim().split('\n').at(-1)}`;
  if (!error && c.check) error = c.check(ctx, r.out);
  if (!error && c.verifyUpload) {
    const keys = await client.keys(BUCKET, `${p.archive.newDay}/`);
    if (keys.length !== ctx.newFiles)
      error = `uploaded ${keys.length} of ${ctx.newFiles} new files`;
  }
  log(
    `  ${c.name.padEnd(13)} ` +
      `${
        error ? `FAILED: ${error}` : `${r.seconds.toFixed(2)}s  ${(r.rssKB / 1024).toFixed(0)} MB`
      }`,
  );
  return {
    case: c.name,
    label: c.label,
    kind: c.kind,
    size: 0,
    newFiles: ctx.newFiles,
    seconds: r.seconds,
    rssKB: r.rssKB,
    ...(error ? { error } : {}),
  };
}

async function startupNumbers(p) {
  // recsync plan when nothing is new (state after a sync), against Node's own start-up.
  await writeFile(p.stateFile, p.stateSnapshot);
  await measure(process.execPath, [
    path.join(here, '..', 'packages', 'cli', 'bin', 'run.js'),
    'sync',
    '--config',
    p.configFile,
  ]);
  const plan = [];
  const bare = [];
  for (let i = 0; i < 5; i++) {
    plan.push(
      (
        await measure(process.execPath, [
          path.join(here, '..', 'packages', 'cli', 'bin', 'run.js'),
          'plan',
          '--config',
          p.configFile,
        ])
      ).seconds,
    );
    bare.push((await measure(process.execPath, ['-e', '0'])).seconds);
  }
  const med = (a) => a.sort((x, y) => x - y)[2];
  return { planNothingNew: med(plan), nodeStart: med(bare) };
}

async function main() {
  const only = opts.only?.split(',');
  const selected = cases().filter((c) => c.available && (!only || only.includes(c.name)));
  for (const c of cases().filter((c) => !c.available))
    log(`(skipping ${c.name}: not installed; apt-get install awscli rclone)`);
  const results = [];
  const startup = {};
  for (const size of sizes) {
    const p = await prepareSize(size);
    const client = createTestClient(p.server.endpoint);
    try {
      for (let run = 0; run < runs; run++) {
        log(` run ${run + 1}/${runs}`);
        for (const c of selected) {
          // one run of the whole-archive syncs is enough to show their cost
          if (c.slow && run > 0) continue;
          results.push({ ...(await runCase(c, p, client)), size });
        }
      }
      startup[size] = await startupNumbers(p);
      log(
        `  recsync plan with nothing new: ${startup[size].planNothingNew.toFixed(2)}s ` +
          `(node -e 0: ${startup[size].nodeStart.toFixed(2)}s)`,
      );
    } finally {
      client.destroy();
      await p.server.stop();
    }
  }
  const rows = summarize(results);
  const meta = {
    perDay: PER_DAY,
    runs,
    sizes,
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
  };
  const table = markdown(rows, meta);
  const targets = targetLines(rows, startup);
  const outDir = path.join(here, 'results');
  await mkdir(outDir, { recursive: true });
  await writeFile(
    path.join(outDir, 'latest.json'),
    JSON.stringify({ meta, rows, startup }, null, 2),
  );
  await writeFile(path.join(outDir, 'latest.md'), `${table}\n\n${targets.join('\n')}\n`);
  await writeFile(
    path.join(outDir, 'latest.svg'),
    svgChart(rows, 'Time to back up one new day, by archive size (log-log)'),
  );
  console.log(`${table}\n\n${targets.join('\n')}`);
  if (!opts['skip-strategies']) await strategyBenches();
}

function targetLines(rows, startup) {
  const at = (c, size) => rows.find((r) => r.case === c && r.size === size);
  const lines = ['Targets:'];
  for (const size of sizes) {
    const ratio = (a, b) =>
      at(a, size) && at(b, size) ? at(a, size).median / at(b, size).median : NaN;
    const plan = ratio('aws-dryrun', 'recsync-plan');
    const day = ratio('recsync-sync', 'aws-day');
    const sdk =
      at('recsync-sync', size) && at('sdk-loop', size)
        ? at('recsync-sync', size).filesPerSecond / at('sdk-loop', size).filesPerSecond
        : NaN;
    const aws =
      at('recsync-sync', size) && at('aws-day', size)
        ? at('recsync-sync', size).filesPerSecond / at('aws-day', size).filesPerSecond
        : NaN;
    lines.push(
      `- ${size.toLocaleString('en-US')} files: recsync plan is ${plan.toFixed(1)}x faster ` +
        'than aws s3 sync --dryrun (target ≥100x at 200k); ' +
        `recsync sync takes ${day.toFixed(2)}x the time of aws s3 sync ROOT/DAY (target ` +
        `≤0.8x); upload rate ${sdk.toFixed(2)}x the bare SDK loop (target ≥0.8x), ` +
        `${aws.toFixed(2)}x aws s3 sync (target ≥1.3x); plan with nothing new ` +
        `${startup[size]?.planNothingNew.toFixed(2)}s vs node start ` +
        `${startup[size]?.nodeStart.toFixed(2)}s`,
    );
  }
  if (sizes.length > 1) {
    const [a, b] = [sizes.at(-2), sizes.at(-1)];
    const flat = at('recsync-sync', b)?.median / at('recsync-sync', a)?.median;
    lines.push(
      `- recsync sync(${b})/sync(${a}) = ${flat.toFixed(2)} (target ≤1.2: flat as the ` +
        'archive grows)',
    );
  }
  return lines;
}

async function strategyBenches() {
  for (const name of ['mtime', 'journal']) {
    const script = path.join(here, `${name}.mjs`);
    if (!existsSync(script)) continue;
    console.log(`\n## ${name} strategy benchmark\n`);
    const r = await measure(process.execPath, [script, ...(opts.quick ? ['--quick'] : [])]);
    console.log(r.out.trim() || r.err.trim());
  }
}

await main();
