#!/usr/bin/env node
// `npm run bench`: recsync against `aws s3 sync`, rclone, `find` and a bare SDK loop on the same
// generated archives and the same local S3 server, interleaved in one run. Prints a Markdown
// table and every performance target with its measured ratio (met or missed), writes
// bench/results/latest.{md,json,svg}, and on a full run the README's results section.
//
//   npm run bench -- --quick          (20k files; 500 and 2,000 new; 2 × 64 MiB; 1 run: minutes)
//   npm run bench                     (200k files; 1,000 and 20,000 new; 8 × 256 MiB; 3 runs)
//   npm run bench -- --sizes 200000,1000000,7000000   (1M and 7M: 20,000 files a day)
// npm run bench -- --quick --only recsync-sync,large --profile /tmp/prof (CPU profiles of recsync)
//   npm run bench -- --sizes 200000,7000000 --prepare
//                                     (builds the cached archives and buckets, measures nothing)
//   npm run bench -- --startup        (start-up alone, bench/startup.mjs: under a minute)
//   npm run bench -- --only large --large 8x256 --large-runs 3 --skip-strategies
//                                                                        (large files only)
//
// Archives and the pre-filled bucket are cached between runs under --cache (default
// /var/tmp/recsync-bench, outside the repository), keyed by size and layout: the 7M-file
// reference archive takes tens of minutes to build once. Peers: `apt-get install awscli rclone`
// (a missing one is reported as not installed and skipped).
// the pinned SDK supports Node 20
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { JobState, stateFilePath } from '@recsync/framework/internal';
import { createTestClient, seedStore, startS3Server } from '@recsync/framework/testing';
import { loadConfig } from '@recsync/cli';
import { archiveFiles, contentOf, ensureArchive, ensureLargeFiles } from './lib/archive.mjs';
import { AWS, cases, largeCases, RCLONE } from './lib/tools.mjs';
import { evaluate, markdown, summarize, svgBars, svgChart, targetLines } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const RECSYNC = path.join(here, '..', 'packages', 'cli', 'bin', 'run.js');
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    'per-day': { type: 'string' },
    runs: { type: 'string' },
    only: { type: 'string' },
    large: { type: 'string' },
    'large-runs': { type: 'string' },
    'part-concurrency': { type: 'string' },
    cache: { type: 'string' },
    readme: { type: 'boolean' },
    'skip-readme': { type: 'boolean', default: false },
    'skip-large': { type: 'boolean', default: false },
    'skip-strategies': { type: 'boolean', default: false },
    profile: { type: 'string' },
    out: { type: 'string' },
    startup: { type: 'boolean', default: false },
    prepare: { type: 'boolean', default: false },
  },
});
if (opts.profile) process.env.RECSYNC_BENCH_PROFILE = path.resolve(opts.profile);
const quick = opts.quick;
const sizes = (opts.sizes ?? (quick ? '20000' : '200000')).split(',').map(Number);
/** Files a day (= new files per run): the CPU-per-file targets name 1,000 and 20,000. */
const perDayList = (opts['per-day'] ?? (quick ? '500,2000' : '1000,20000')).split(',').map(Number);
/** The reference layout of the large archives (1M and up): 20,000 files a day. */
const BIG = 1_000_000;
const REFERENCE_PER_DAY = 20_000;
const runs = Number(opts.runs ?? (quick ? 1 : 3));
const [largeCount, largeMiB] = (opts.large ?? (quick ? '2x64' : '8x256')).split('x').map(Number);
const largeRuns = Number(opts['large-runs'] ?? (quick ? 1 : 2));
const CACHE = opts.cache ?? process.env.RECSYNC_BENCH_CACHE ?? '/var/tmp/recsync-bench';
/** Fixed dates, so a cached archive stays valid from one day to the next. */
const NEWEST = '2025-12-31';
/** Days (the new one and the look-back days before it) whose files have contents. */
const REAL_DAYS = 4;
const BUCKET = 'bench';
const IDLE_RUNS = 5;
const log = (...a) => console.error(...a);
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_PAGER: '',
};
const work = path.join(os.tmpdir(), `recsync-bench-run-${process.pid}`);

/**
 * Runs a command under /usr/bin/time: wall seconds, peak RSS (KB) and the CPU (user + sys
 * seconds) of that process alone (and any child it waits for), plus its output.
 */
function measure(cmd, args, extraEnv = {}) {
  return new Promise((resolve) => {
    const timeFile = path.join(work, `time-${Math.random().toString(36).slice(2)}`);
    const childEnv = { ...env, ...extraEnv };
    for (const [k, v] of Object.entries(extraEnv)) if (v === '') delete childEnv[k];
    const child = spawn('/usr/bin/time', ['-f', '%e %M %U %S', '-o', timeFile, cmd, ...args], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', async (code) => {
      const text = await readFile(timeFile, 'utf8').catch(() => '0 0 0 0');
      await rm(timeFile, { force: true });
      const [seconds, rss, user, sys] = text.trim().split('\n').at(-1).split(' ').map(Number);
      resolve({ code, seconds, rssKB: rss, cpu: user + sys, out, err });
    });
  });
}

/** A job config for the date strategy. */
function configText({ stateDir, root, endpoint, concurrency, partConcurrency }) {
  const upload = [
    concurrency ? `concurrency: ${concurrency}` : '',
    partConcurrency ? `partConcurrency: ${partConcurrency}` : '',
  ].filter(Boolean);
  return `import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';
export default defineConfig({
  stateDir: ${JSON.stringify(stateDir)},
  jobs: { bench: {
    source: ${JSON.stringify(root)},
    target: { bucket: '${BUCKET}', endpoint: '${endpoint}', forcePathStyle: true },
    strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' }),
    ${upload.length ? `upload: { ${upload.join(', ')} },` : ''}
  } },
});
`;
}

/**
 * A forwarding HTTP proxy in front of the S3 server that counts requests: the idle night's
 * plan must make none.
 */
async function countingProxy(target) {
  const { hostname, port } = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const proxy = { requests: 0, endpoint: '', close: () => undefined };
  const server = http.createServer((req, res) => {
    proxy.requests++;
    const upstream = http.request(
      { hostname, port, path: req.url, method: req.method, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      agent.destroy();
      server.closeAllConnections?.();
      server.close(resolve);
    });
  return proxy;
}

/** The job's state the morning after `through`: cursor there, nothing pending. */
async function stateThrough(configFile, stateDir, through) {
  const [job] = (await loadConfig({ configPath: configFile, cwd: path.dirname(configFile) })).jobs;
  await rm(stateDir, { recursive: true, force: true });
  const state = await JobState.load(job);
  state.cursor = { through };
  await state.save();
  return {
    stateFile: stateFilePath(job),
    stateSnapshot: await readFile(stateFilePath(job), 'utf8'),
  };
}

async function prepareArchive(size, perDay) {
  const key = `dates-${size}-${perDay}-v2`;
  const cacheDir = path.join(CACHE, key);
  const runDir = path.join(work, key);
  await mkdir(runDir, { recursive: true });
  log(
    `\n== ${size.toLocaleString('en-US')} files, ` +
      `${perDay.toLocaleString('en-US')} a day: ${cacheDir}`,
  );
  const days = Math.max(REAL_DAYS, Math.round(size / perDay));
  const params = { files: days * perDay, days, newest: NEWEST, seed: 1, realDays: REAL_DAYS };
  const archive = await ensureArchive(path.join(cacheDir, 'RECORDINGS'), params, log);
  if (archive.reused) log('  archive reused from the cache');
  // The bucket: every day but the new one; above 1M files only the look-back days (a whole
  // 7M-object store is days of s3rver writes), and then the whole-archive peers are not run.
  const seedAll = size < BIG;
  const seedFrom = seedAll ? archive.days[0] : archive.days.at(-REAL_DAYS);
  const s3dir = path.join(cacheDir, 's3');
  const seedMarker = path.join(cacheDir, 's3.json');
  const seedWanted = JSON.stringify({ params, seedFrom });
  if (!archive.reused || (await readFile(seedMarker, 'utf8').catch(() => '')) !== seedWanted) {
    await rm(seedMarker, { force: true });
    await rm(s3dir, { recursive: true, force: true });
    await mkdir(s3dir, { recursive: true });
    const t = Date.now();
    const old = (function* () {
      for (const f of archiveFiles(params)) {
        const day = f.rel.slice(0, 10);
        if (day >= seedFrom && day !== archive.newDay)
          yield { key: f.rel, body: contentOf(f.rel, f.size) };
      }
    })();
    const seeded = await seedStore(s3dir, BUCKET, old);
    await writeFile(seedMarker, seedWanted);
    log(`  bucket pre-filled with ${seeded} objects (${seedFrom} on) in ${secs(Date.now() - t)}`);
  } else log('  bucket reused from the cache');
  await rm(path.join(s3dir, BUCKET, archive.newDay), { recursive: true, force: true });
  const server = await startS3Server({ buckets: [BUCKET], directory: s3dir });
  const proxy = await countingProxy(server.endpoint);
  const stateDir = path.join(runDir, 'state');
  const configFile = path.join(runDir, 'recsync.config.ts');
  const idleConfigFile = path.join(runDir, 'recsync.idle.config.ts');
  await writeFile(
    configFile,
    configText({ stateDir, root: archive.root, endpoint: server.endpoint, concurrency: 64 }),
  );
  // The idle night's job talks to the bucket through the counting proxy: another endpoint, so
  // its own state (recsync ties a state to its target).
  const idleStateDir = path.join(runDir, 'idle-state');
  await writeFile(
    idleConfigFile,
    configText({
      stateDir: idleStateDir,
      root: archive.root,
      endpoint: proxy.endpoint,
      concurrency: 64,
    }),
  );
  const idleState = await stateThrough(idleConfigFile, idleStateDir, archive.days.at(-2));
  const state = await stateThrough(configFile, stateDir, archive.days.at(-2));
  const marker = path.join(runDir, 'marker');
  await writeFile(marker, '');
  const newDayStart = Date.parse(`${archive.newDay}T00:00:00Z`);
  await utimes(marker, new Date(newDayStart - 1000), new Date(newDayStart - 1000));
  return {
    key: `${size}@${perDay}`,
    size,
    perDay,
    seedAll,
    server,
    proxy,
    s3dir,
    archive,
    configFile,
    idleConfigFile,
    idleState,
    ...state,
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
        error
          ? `FAILED: ${error}`
          : `${r.seconds.toFixed(2)}s  CPU ${r.cpu.toFixed(2)}s  ` +
            `${(r.rssKB / 1024).toFixed(0)} MB`
      }`,
  );
  return {
    case: c.name,
    label: c.label,
    kind: c.kind,
    group: 'small',
    size: p.size,
    perDay: p.perDay,
    newFiles: ctx.newFiles,
    bytes: ctx.bytes,
    seconds: r.seconds,
    cpu: r.cpu,
    rssKB: r.rssKB,
    ...(error ? { error } : {}),
  };
}

/**
 * The idle night: after a sync, `recsync plan` with nothing new, against `node -e 0`, with the
 * S3 requests it made (through the counting proxy).
 */
async function idleNight(p) {
  await writeFile(p.idleState.stateFile, p.idleState.stateSnapshot);
  await rm(path.join(p.s3dir, BUCKET, p.archive.newDay), { recursive: true, force: true });
  const sync = await measure(process.execPath, [RECSYNC, 'sync', '--config', p.idleConfigFile]);
  if (sync.code !== 0)
    return {
      error:
        `sync before the idle plans exited ${sync.code}: ` +
        `${sync.err.trim().split('\n').at(-1)}`,
    };
  const plan = [];
  const bare = [];
  let requests = 0;
  let rssKB = 0;
  for (let i = 0; i < IDLE_RUNS; i++) {
    const before = p.proxy.requests;
    const r = await measure(process.execPath, [
      RECSYNC,
      'plan',
      '--json',
      '--config',
      p.idleConfigFile,
    ]);
    if (r.code !== 0) return { error: `plan exited ${r.code}: ${r.err.trim().split('\n').at(-1)}` };
    const files = JSON.parse(r.out).jobs[0].totals.upload.files;
    if (files !== 0) return { error: `plan with nothing new would upload ${files} files` };
    requests = Math.max(requests, p.proxy.requests - before);
    rssKB = Math.max(rssKB, r.rssKB);
    plan.push(r.seconds);
    bare.push((await measure(process.execPath, ['-e', '0'])).seconds);
  }
  const result = { plan: median(plan), node: median(bare), requests, rssMB: rssKB / 1024 };
  log(
    `  idle night: plan ${result.plan.toFixed(2)}s (node -e 0 ${result.node.toFixed(2)}s), ` +
      `${requests} S3 requests, ${result.rssMB.toFixed(0)} MB`,
  );
  return result;
}

/** Large files: `largeCount` × `largeMiB` MiB new in one day folder, empty bucket. */
async function largeFiles(results) {
  const key = `large-${largeCount}x${largeMiB}`;
  const cacheDir = path.join(CACHE, key);
  const runDir = path.join(work, key);
  await mkdir(runDir, { recursive: true });
  log(`\n== ${largeCount} × ${largeMiB} MiB new: ${cacheDir}`);
  const root = path.join(cacheDir, 'RECORDINGS');
  await ensureLargeFiles(
    path.join(root, NEWEST),
    largeCount,
    largeMiB,
    log,
    new Date(`${NEWEST}T12:00:00Z`),
  );
  // The server's store in memory where there is a tmpfs: S3 is remote, and 2 GiB of parts the
  // server writes to the client's disk would make recsync's fsync'ed state writes wait for them
  // (seconds per run here), a cost no real bucket puts on the client. The peers write no state.
  const s3dir = existsSync('/dev/shm')
    ? await mkdtemp('/dev/shm/recsync-bench-s3-')
    : path.join(runDir, 's3');
  const server = await startS3Server({ buckets: [BUCKET], directory: s3dir });
  const client = createTestClient(server.endpoint);
  const stateDir = path.join(runDir, 'state');
  const configFile = path.join(runDir, 'recsync.config.ts');
  const partConcurrency = opts['part-concurrency'] ? Number(opts['part-concurrency']) : undefined;
  await writeFile(
    configFile,
    configText({ stateDir, root, endpoint: server.endpoint, partConcurrency }),
  );
  const state = await stateThrough(configFile, stateDir, '2025-12-30');
  const p = {
    size: largeCount,
    perDay: largeCount,
    server,
    s3dir,
    configFile,
    archive: { root, newDay: NEWEST, newFiles: largeCount },
    ...state,
    marker: '',
    newDayStart: Date.parse(`${NEWEST}T00:00:00Z`),
  };
  try {
    for (const c of largeCases()) if (!c.available) log(`  ${c.name}: not installed, skipped`);
    for (let run = 0; run < largeRuns; run++) {
      log(` run ${run + 1}/${largeRuns}`);
      for (const c of largeCases().filter((c) => c.available)) {
        const r = await runCase(c, p, client);
        results.push({ ...r, group: 'large', bytes: largeCount * largeMiB * 2 ** 20 });
      }
    }
  } finally {
    client.destroy();
    await server.stop();
    await rm(s3dir, { recursive: true, force: true });
  }
}

async function main() {
  if (opts.startup) return startupOnly();
  await mkdir(work, { recursive: true });
  const only = opts.only?.split(',');
  const selected = cases().filter((c) => c.available && (!only || only.includes(c.name)));
  const missing = [];
  if (!AWS) missing.push('aws-cli (apt-get install awscli)');
  if (!RCLONE) missing.push('rclone (apt-get install rclone)');
  for (const m of missing) log(`${m}: not installed; its cases are skipped`);
  const results = [];
  const idle = {};
  // `--only large`: the large-file case alone, no small-file archives.
  const largeOnly = only?.length === 1 && only[0] === 'large';
  for (const size of largeOnly ? [] : sizes) {
    const layouts = opts['per-day'] || size < BIG ? perDayList : [REFERENCE_PER_DAY];
    for (const [layoutIndex, perDay] of layouts.entries()) {
      const p = await prepareArchive(size, perDay);
      if (opts.prepare) {
        await p.proxy.close();
        await p.server.stop();
        continue;
      }
      const client = createTestClient(p.server.endpoint);
      try {
        for (let run = 0; run < runs; run++) {
          log(` run ${run + 1}/${runs}`);
          for (const c of selected) {
            // The whole-archive peers: one run, one layout, and only on a fully seeded bucket.
            if (c.slow && (run > 0 || layoutIndex > 0 || !p.seedAll)) continue;
            results.push(await runCase(c, p, client));
          }
        }
        idle[p.key] = { size, perDay, ...(await idleNight(p)) };
      } finally {
        client.destroy();
        await p.proxy.close();
        await p.server.stop();
      }
    }
  }
  if (opts.prepare) {
    await rm(work, { recursive: true, force: true });
    log('archives ready; nothing measured (--prepare)');
    return;
  }
  if (!opts['skip-large'] && (!only || only.includes('large'))) await largeFiles(results);
  const strategies = opts['skip-strategies'] ? {} : await strategyBenches();
  const rows = summarize(results);
  const meta = {
    perDay: perDayList,
    runs,
    largeRuns,
    sizes,
    large: { count: largeCount, mib: largeMiB },
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    load: os.loadavg().map((l) => Number(l.toFixed(2))),
    peers: { aws: AWS ?? 'not installed', rclone: RCLONE ?? 'not installed' },
  };
  const targets = evaluate({
    rows,
    idle,
    mtime: strategies.mtime?.json,
    startup: strategies.startup,
  });
  const table = markdown(rows, meta);
  const lines = targetLines(targets, meta);
  const outDir = opts.out ? path.resolve(opts.out) : path.join(here, 'results');
  await mkdir(outDir, { recursive: true });
  const doc = {
    meta,
    rows,
    idle,
    targets,
    mtime: strategies.mtime?.json ?? null,
    startup: strategies.startup?.json ?? null,
  };
  await writeFile(path.join(outDir, 'latest.json'), `${JSON.stringify(doc, null, 2)}\n`);
  const strategyText = Object.entries(strategies)
    .map(([name, s]) => `\n## ${name} benchmark\n\n${s.text}\n`)
    .join('');
  await writeFile(
    path.join(outDir, 'latest.md'),
    `${table}\n\n${lines.join('\n')}\n${strategyText}`,
  );
  // One size: bars per command; several: time against archive size, in the layout every size
  // has (from 1M files on only the reference one, 20,000 files a day).
  const chartPerDay =
    sizes.some((s) => s >= BIG) && !opts['per-day'] && perDayList.includes(REFERENCE_PER_DAY)
      ? REFERENCE_PER_DAY
      : perDayList[0];
  const small = rows.filter((r) => r.group === 'small' && r.perDay === chartPerDay);
  const perDayText = chartPerDay.toLocaleString('en-US');
  await writeFile(
    path.join(outDir, 'latest.svg'),
    sizes.length > 1
      ? svgChart(small, `Time to back up one new day (${perDayText} files), by archive size`)
      : svgBars(rows, 'Wall time, start-up included (recsync in red)'),
  );
  for (const size of sizes.filter((s) => s >= BIG))
    await writeFile(
      path.join(outDir, `scale-${size}.json`),
      `${JSON.stringify(
        {
          meta,
          rows: rows.filter((r) => r.size === size),
          idle: Object.values(idle).filter((i) => i.size === size),
        },
        null,
        2,
      )}\n`,
    );
  console.log(`${table}\n\n${lines.join('\n')}${strategyText}`);
  const full = !quick && !only && !opts.sizes && !opts['per-day'];
  if (opts.readme || (full && !opts['skip-readme'])) await writeReadme(rows, meta, lines);
  await rm(work, { recursive: true, force: true });
}

const README_START = '<!-- bench:results:start -->';
const README_END = '<!-- bench:results:end -->';

/**
 * Replaces the README's results section. Rows of sizes not run this time (the 7M reference
 * archive) come from their last run's bench/results/scale-SIZE.json.
 */
async function writeReadme(rows, meta, lines) {
  const readme = path.join(here, '..', 'README.md');
  const text = await readFile(readme, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) {
    log(`README.md has no ${README_START} … ${README_END} section; not updated`);
    return;
  }
  const extra = [];
  const dir = path.join(here, 'results');
  for (const file of await readdir(dir)) {
    const m = /^scale-(\d+)\.json$/.exec(file);
    if (!m || meta.sizes.includes(Number(m[1]))) continue;
    const doc = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
    extra.push(...doc.rows.map((r) => ({ ...r, note: `run of ${doc.meta.date.slice(0, 10)}` })));
  }
  const section = [
    README_START,
    '',
    `Run of ${meta.date.slice(0, 10)}: Node ${meta.node}, ${meta.cpus} CPUs, load average at the ` +
      `end ${meta.load.join(' ')}.`,
    '',
    markdown([...rows, ...extra], meta),
    '',
    ...lines,
    '',
    README_END,
  ].join('\n');
  await writeFile(readme, text.slice(0, start) + section + text.slice(end + README_END.length));
  log('README.md results section updated');
}

/** `--startup`: the start-up benchmark alone; bench/results/startup.{md,json} (or --out). */
async function startupOnly() {
  const { startupBench, startupMarkdown } = await import('./startup.mjs');
  const result = await startupBench({ log });
  const text = startupMarkdown(result);
  const outDir = opts.out ? path.resolve(opts.out) : path.join(here, 'results');
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'startup.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(path.join(outDir, 'startup.md'), `${text}\n`);
  console.log(text);
}

/** The other benchmarks whose numbers belong to the targets: start-up, mtime, journal. */
async function strategyBenches() {
  const out = {};
  for (const name of ['startup', 'mtime', 'journal']) {
    const script = path.join(here, `${name}.mjs`);
    if (!existsSync(script)) continue;
    const json = path.join(work, `${name}.json`);
    log(`\n== ${name} benchmark`);
    const args =
      name === 'startup'
        ? [script, '--json', json]
        : [script, ...(quick ? ['--quick'] : []), ...(name === 'mtime' ? ['--json', json] : [])];
    const r = await measure(process.execPath, args);
    out[name] = {
      text: r.out.trim() || r.err.trim().split('\n').slice(-5).join('\n'),
      code: r.code,
      json: JSON.parse(await readFile(json, 'utf8').catch(() => 'null')),
    };
    if (r.code !== 0) log(`  ${name} benchmark exited ${r.code}`);
  }
  return out;
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

await main();
