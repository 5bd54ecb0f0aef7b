#!/usr/bin/env node
// Journal strategy benchmark: `recsync plan` time for N new journal lines after M lines already
// committed, against the plan time for a journal holding only the N new lines. The cursor
// seeks to its offset and never rereads history, so the ratio should stay near 1 (target
// ≤ 1.3). Each plan runs in its own process, so peak RSS is per scenario.
//
//   node bench/journal.mjs            (1,000,000 committed + 10,000 new lines, 5 runs each)
// node bench/journal.mjs --quick (200,000 committed + 5,000 new lines, 3 runs each: well under a
// minute)
//
// Needs the built packages (`npm run build`); `npm run bench` builds first and runs this too.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fingerprintOf, openPlan, resolveConfig, stateFilePath } from '@recsync/framework/internal';
import {
  appendToJournal,
  journal,
  journalOptionsSchema,
  journalStrategy,
} from '@recsync/strategy-journal/internal';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    measure: { type: 'string' },
    work: { type: 'string', default: path.join(os.tmpdir(), 'recsync-bench-journal') },
  },
});
const log = (...a) => console.error(...a);

/** The resolved job of one scenario: the journal, plan-only (no bucket is contacted). */
async function jobFor(scenario) {
  const config = {
    stateDir: scenario.stateDir,
    jobs: {
      bench: {
        source: scenario.source,
        target: { bucket: 'bench', endpoint: 'http://127.0.0.1:9', forcePathStyle: true },
        strategy: journal({ path: scenario.journal }),
        filters: { settle: 0 },
      },
    },
  };
  return (await resolveConfig(config, { importModule: (s) => import(s) })).jobs[0];
}

/** Child process: one timed plan; prints {ms, files, upload, rssKiB}. */
async function measure(file) {
  const scenario = JSON.parse(file);
  const job = await jobFor(scenario);
  const started = process.hrtime.bigint();
  const plan = await openPlan(job);
  let files = 0;
  let upload = 0;
  for await (const item of plan.items) {
    if (item.type !== 'file') continue;
    files++;
    if (item.action === 'upload') upload++;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(
    JSON.stringify({ ms, files, upload, rssKiB: process.resourceUsage().maxRSS }),
  );
}

const newPath = (i) =>
  `new/${String(i % 100).padStart(3, '0')}/call-${String(i).padStart(7, '0')}.wav`;

async function writeLines(file, count, line) {
  const out = createWriteStream(file, { flags: 'a' });
  for (let i = 0; i < count; i += 10_000) {
    let block = '';
    for (let j = i; j < Math.min(count, i + 10_000); j++) block += `${line(j)}\n`;
    if (!out.write(block)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
}

/**
 * Builds the source (N new files), a history journal with its saved cursor, and a fresh journal.
 */
async function prepare(work, committed, fresh) {
  await rm(work, { recursive: true, force: true });
  const source = path.join(work, 'source');
  for (let d = 0; d < 100; d++)
    await mkdir(path.join(source, 'new', String(d).padStart(3, '0')), { recursive: true });
  for (let i = 0; i < fresh; i++)
    await writeFile(path.join(source, newPath(i)), 'x'.repeat(64 + (i % 512)));
  const history = {
    source,
    journal: path.join(work, 'history.log'),
    stateDir: path.join(work, 'state-history'),
  };
  const only = {
    source,
    journal: path.join(work, 'fresh.log'),
    stateDir: path.join(work, 'state-fresh'),
  };
  await writeLines(history.journal, committed, (i) => {
    const month = `${2020 + (i % 6)}-${String(1 + (i % 12)).padStart(2, '0')}`;
    return `archive/${month}/call-${String(i).padStart(8, '0')}.wav`;
  });
  await saveCursorAtEnd(history);
  await appendToJournal(
    history.journal,
    Array.from({ length: fresh }, (_, i) => newPath(i)),
    { source, cwd: source },
  );
  await appendToJournal(
    only.journal,
    Array.from({ length: fresh }, (_, i) => newPath(i)),
    { source, cwd: source },
  );
  return { history, only };
}

/** The state a sync over the committed lines leaves: a cursor at the end of the journal. */
async function saveCursorAtEnd(scenario) {
  const options = journalOptionsSchema.parse({ path: scenario.journal, start: 'end' });
  const instance = journalStrategy.create(options, {
    source: scenario.source,
    followSymlinks: false,
    warn: log,
  });
  let cursor;
  for await (const partition of instance.partitions({
    cursor: undefined,
    now: new Date(),
    signal: new AbortController().signal,
  })) {
    cursor = instance.advance(cursor, partition);
  }
  const job = await jobFor(scenario);
  await mkdir(scenario.stateDir, { recursive: true });
  const state = {
    format: 'recsync-state',
    version: 1,
    job: job.name,
    fingerprint: fingerprintOf(job),
    cursor,
    pending: {},
  };
  await writeFile(stateFilePath(job), `${JSON.stringify(state)}\n`);
}

function runChild(scenario) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), '--measure', JSON.stringify(scenario)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`plan child exited with ${code}`)),
    );
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const committed = opts.quick ? 200_000 : 1_000_000;
  const fresh = opts.quick ? 5_000 : 10_000;
  const runs = opts.quick ? 3 : 5;
  log(
    `preparing ${committed.toLocaleString('en')} committed + ${fresh.toLocaleString('en')} ` +
      `new journal lines in ${opts.work} …`,
  );
  const { history, only } = await prepare(opts.work, committed, fresh);
  const results = { history: [], only: [] };
  for (let r = 0; r < runs; r++) {
    // Interleaved, so both scenarios see the same cache and load.
    results.only.push(await runChild(only));
    results.history.push(await runChild(history));
  }
  for (const r of [...results.history, ...results.only]) {
    if (r.files !== fresh || r.upload !== fresh)
      throw new Error(`a plan saw ${r.files} files (${r.upload} to upload), expected ${fresh}`);
  }
  const row = (name, rs) =>
    `| ${name} | ${median(rs.map((r) => r.ms)).toFixed(0)} ms | ${rs[0].files} | ` +
    `${(Math.max(...rs.map((r) => r.rssKiB)) / 1024).toFixed(0)} MiB |`;
  const ratio = median(results.history.map((r) => r.ms)) / median(results.only.map((r) => r.ms));
  console.log(`| journal plan (median of ${runs}) | time | files | peak RSS |`);
  console.log('|---|---:|---:|---:|');
  console.log(
    row(
      `${fresh.toLocaleString('en')} new lines after ${committed.toLocaleString('en')} committed`,
      results.history,
    ),
  );
  console.log(row(`${fresh.toLocaleString('en')}-line journal`, results.only));
  console.log(
    `\n- ratio ${ratio.toFixed(2)} (target ≤ 1.3: the cursor seeks, it never rereads ` +
      `history) ${ratio <= 1.3 ? 'met' : 'NOT met'}`,
  );
  await rm(opts.work, { recursive: true, force: true });
}

if (opts.measure) await measure(opts.measure);
else await main();
