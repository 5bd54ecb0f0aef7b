#!/usr/bin/env node
// Start-up: how long recsync takes before it does any work, against Node's own start-up.
//
//   npm run bench -- --startup          (this case alone: under a minute)
//   node bench/startup.mjs [--runs 5] [--bin path/to/run.js] [--json FILE]
//
// Interleaved runs of `node -e 0`, `recsync --version`, `recsync status` and `recsync plan` on a
// small date-folder job whose files are all in the bucket (an idle night: nothing to upload),
// against the local S3 server. Each process is started with a small preload
// (lib/startup-probe.cjs) that records its CPU time (user+sys) at its first HTTP request and at
// exit; wall time is measured from spawn to exit. Medians are compared with `node -e 0`'s.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startS3Server } from '@recsync/framework/testing';
import { median } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const RECSYNC = path.join(here, '..', 'packages', 'cli', 'bin', 'run.js');
const PROBE = path.join(here, 'lib', 'startup-probe.cjs');
const DAY = 86_400_000;

/** The targets: wall time as a multiple of `node -e 0`'s, and CPU before the first request. */
export const STARTUP_TARGETS = { version: 1.5, status: 2.5, planCpuBeforeRequest: 0.3 };

/** Runs one process with the probe; returns wall seconds, CPU seconds and what it printed. */
function measure(args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const out = path.join(os.tmpdir(), `recsync-startup-probe-${process.pid}.json`);
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--require', PROBE, ...args], {
      cwd,
      env: { ...env, RECSYNC_PROBE_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', async (code) => {
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      const probe = JSON.parse(await readFile(out, 'utf8').catch(() => '{}'));
      await rm(out, { force: true });
      if (code !== 0)
        reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').at(-1)}`));
      else resolve({ wall, ...probe, stdout });
    });
  });
}

/**
 * A small job: three date folders of 20 files, all uploaded (the state after last night's sync).
 */
async function prepare(work, bin, log) {
  const source = path.join(work, 'RECORDINGS');
  const newest = Date.now() - DAY;
  for (let d = 2; d >= 0; d--) {
    const day = new Date(newest - d * DAY).toISOString().slice(0, 10);
    await mkdir(path.join(source, day), { recursive: true });
    for (let i = 0; i < 20; i++)
      await writeFile(path.join(source, day, `call-${i}.wav`), `${day} ${i}\n`.repeat(64));
  }
  const server = await startS3Server({ buckets: ['startup'], directory: path.join(work, 's3') });
  // No node_modules here: `@recsync/*` imports resolve to the CLI's own copies, as for a config
  // in /etc/recsync.
  await writeFile(
    path.join(work, 'recsync.config.ts'),
    `import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';
export default defineConfig({
  stateDir: ${JSON.stringify(path.join(work, 'state'))},
  jobs: {
    calls: {
      source: ${JSON.stringify(source)},
      target: { bucket: 'startup', endpoint: '${server.endpoint}', forcePathStyle: true },
      strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' }),
    },
  },
});
`,
  );
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    NO_COLOR: '1',
  };
  const ctx = { cwd: work, env };
  await measure([bin, 'sync'], ctx);
  const plan = JSON.parse((await measure([bin, 'plan', '--json'], ctx)).stdout);
  const pending = plan.jobs[0].totals.upload.files;
  if (pending !== 0) throw new Error(`plan after sync would still upload ${pending} files`);
  log(`  start-up job: 60 files in 3 date folders, all in the bucket; server ${server.endpoint}`);
  return { server, ctx };
}

/**
 * Measures the four commands `runs` times each (interleaved) and returns the medians, the ratios
 * to `node -e 0` and each target, met or missed.
 */
export async function startupBench({ runs = 5, bin = RECSYNC, log = console.error } = {}) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'recsync-startup-'));
  const { server, ctx } = await prepare(work, bin, log);
  const cases = [
    { name: 'node', label: 'node -e 0', args: ['-e', '0'] },
    { name: 'version', label: 'recsync --version', args: [bin, '--version'] },
    { name: 'status', label: 'recsync status', args: [bin, 'status'] },
    { name: 'plan', label: 'recsync plan (nothing new)', args: [bin, 'plan'] },
  ];
  const samples = new Map(cases.map((c) => [c.name, []]));
  try {
    for (const c of cases) await measure(c.args, ctx); // warm the page cache and jiti's cache
    for (let run = 0; run < runs; run++)
      for (const c of cases) samples.get(c.name).push(await measure(c.args, ctx));
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
  const rows = cases.map((c) => {
    const s = samples.get(c.name);
    const first = s.filter((x) => x.cpuBeforeFirstRequest !== undefined);
    return {
      case: c.name,
      label: c.label,
      wall: median(s.map((x) => x.wall)),
      cpu: median(s.map((x) => x.cpu)),
      requests: median(s.map((x) => x.requests ?? 0)),
      // with no request at all, the whole run came before it
      cpuBeforeFirstRequest: median(s.map((x) => x.cpuBeforeFirstRequest ?? x.cpu)),
      runsWithRequests: first.length,
    };
  });
  const node = rows[0];
  for (const row of rows) {
    row.wallRatio = row.wall / node.wall;
    row.cpuRatio = row.cpu / node.cpu;
  }
  const at = (name) => rows.find((r) => r.case === name);
  const targets = [
    {
      name: 'recsync --version wall',
      value: at('version').wallRatio,
      unit: '× node -e 0',
      target: STARTUP_TARGETS.version,
    },
    {
      name: 'recsync status wall',
      value: at('status').wallRatio,
      unit: '× node -e 0',
      target: STARTUP_TARGETS.status,
    },
    {
      name: 'recsync plan: CPU before the first S3 request',
      value: at('plan').cpuBeforeFirstRequest,
      unit: 's',
      target: STARTUP_TARGETS.planCpuBeforeRequest,
    },
  ].map((t) => ({ ...t, met: t.value <= t.target }));
  return {
    meta: {
      runs,
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: os.loadavg()[0],
      date: new Date().toISOString(),
    },
    rows,
    targets,
  };
}

const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : '—');
const f3 = (n) => (Number.isFinite(n) ? n.toFixed(3) : '—');

export function startupMarkdown({ meta, rows, targets }) {
  const lines = [
    `Start-up: median of ${meta.runs} interleaved runs each (Node ${meta.node}, ${meta.cpus} ` +
      `CPUs, load average ${meta.loadAverage.toFixed(1)} at the end); wall from spawn to ` +
      'exit, CPU = user+sys of the process.',
    '',
    '| command | wall s | × node -e 0 | CPU s | × node -e 0 | CPU before ' +
      '1st request s | requests |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${f3(r.wall)} | ${f2(r.wallRatio)} | ${f3(r.cpu)} | ${f2(r.cpuRatio)} | ` +
        `${
          r.case === 'node'
            ? '—'
            : r.runsWithRequests
              ? f3(r.cpuBeforeFirstRequest)
              : `${f3(r.cpuBeforeFirstRequest)} (none)`
        } ` +
        `| ${r.requests} |`,
    ),
    '',
    'Start-up targets:',
    ...targets.map(
      (t) =>
        `- ${t.name}: ${t.unit === 's' ? `${f3(t.value)} s` : `${f2(t.value)}${t.unit}`} (target ` +
        `≤ ${t.target}${t.unit === 's' ? ' s' : t.unit}): ${t.met ? 'met' : 'MISSED'}`,
    ),
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      bin: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const result = await startupBench({
    runs: Number(values.runs),
    ...(values.bin ? { bin: path.resolve(values.bin) } : {}),
  });
  console.log(startupMarkdown(result));
  if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
}
