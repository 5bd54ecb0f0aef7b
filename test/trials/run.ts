/**
 * `npm run trials`: many crash or server-fault trials on demand, with their figures.
 *
 *   npm run trials -- --count 200                  crash trials (SIGKILL/SIGINT/SIGTERM/double)
 *   npm run trials -- --faults --count 100         server-fault trials at --rate (default 0.1)
 *   npm run trials -- --faults --rate 0.4          heavier faults: runs may end 1 and are rerun
 *   options: --strategy date,mtime,journal  --seed N (first trial's seed)  --parallel N
 *            --archive small|large  --permanent P (share of fault trials with keys that
 *            always fail)  --json (figures as JSON on stdout)
 *
 * Starts its own local S3 server. Exits 1 when any trial failed or any file was lost; every
 * failure names its strategy and seed (`--seed N --count 1 --strategy S` replays it).
 */
import { parseArgs } from 'node:util';
import { createTestClient, startS3Server } from '@recsync/framework/testing';
import {
  emptyCrashFigures,
  runCrashTrial,
  STOP_KINDS,
  type CrashFigures,
  type StopKind,
} from '../support/crash-trial.js';
import { startFaultProxy, FAULT_KINDS, type FaultRule } from '../support/fault-injecting-proxy.js';
import {
  emptyFaultFigures,
  runFaultTrial,
  transientFaults,
  type FaultFigures,
} from '../support/fault-trial.js';
import { createRandom } from '../support/random.js';
import { createTrialArchive, LARGE_ARCHIVE, SMALL_ARCHIVE } from '../support/trial-archive.js';
import { TRIAL_STRATEGIES, writeJournal, type TrialStrategy } from '../support/trial-job.js';

Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  NO_COLOR: '1',
});

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '30' },
    faults: { type: 'boolean', default: false },
    rate: { type: 'string', default: '0.1' },
    strategy: { type: 'string', default: TRIAL_STRATEGIES.join(',') },
    seed: { type: 'string' },
    parallel: { type: 'string', default: '2' },
    archive: { type: 'string', default: 'small' },
    permanent: { type: 'string', default: '0.3' },
    json: { type: 'boolean', default: false },
  },
});

const count = Number(opts.count);
const parallel = Math.max(1, Number(opts.parallel));
const firstSeed = opts.seed !== undefined ? Number(opts.seed) : Math.floor(Math.random() * 2 ** 31);
const strategies = opts.strategy.split(',') as TrialStrategy[];
const rate = Number(opts.rate);
for (const s of strategies)
  if (!TRIAL_STRATEGIES.includes(s))
    throw new Error(`--strategy: unknown ${s} (one of ${TRIAL_STRATEGIES.join(', ')})`);
if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a whole number ≥ 1');
if (!(rate >= 0 && rate < 1)) throw new Error('--rate must be in [0, 1)');
const log = (line: string) => void process.stderr.write(`${line}\n`);

/** Runs `count` trials, `parallel` at a time, each with seed firstSeed + i. */
async function runAll(
  trial: (seed: number, strategy: TrialStrategy, index: number) => Promise<string[]>,
  progress: () => string,
): Promise<void> {
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const problems = await trial(
        firstSeed + index,
        strategies[index % strategies.length]!,
        index,
      );
      finished++;
      for (const p of problems) log(`FAIL ${p}`);
      if (finished % 10 === 0 || finished === count)
        log(`… ${finished}/${count} trials: ${progress()}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
}

/**
 * Extra rules for some fault trials (`--permanent`, default 0.3): keys that always fail, so runs
 * end 1 and are rerun.
 */
function permanentRules(seed: number, keys: readonly string[]): FaultRule[] {
  const random = createRandom(seed ^ 0x5eed);
  if (!random.chance(Number(opts.permanent))) return [];
  const doomed = new Set(Array.from({ length: random.int(1, 3) }, () => random.pick(keys)));
  return [
    {
      kind: 'error500',
      rate: 1,
      match: (r) => (r.op === 'put' || r.op === 'part') && doomed.has(r.key),
    },
  ];
}

function printCrash(f: CrashFigures): void {
  const stops = Object.values(f.stops).reduce((a, b) => a + b, 0);
  log(`\ncrash trials: ${f.trials} (strategies ${strategies.join(', ')}; first seed ${firstSeed})`);
  log(
    `  runs ${f.runs}; stops that hit a running sync ${stops}: ` +
      `${STOP_KINDS.map((k) => `${k} ${f.stops[k]}`).join(', ')}; signals too late ${f.late}`,
  );
  log(
    `  cursor checks after a stop ${f.cursorChecks} (files the cursor had passed while ` +
      `missing: ${f.uncovered}); files compared byte for byte ${f.filesChecked}`,
  );
  log(
    `  files lost ${f.filesLost}; objects not byte-exact ${f.filesCorrupt}; stray state ` +
      `temp files ${f.strayTempFiles}; failed trials' problems ${f.failures.length}`,
  );
}

function printFaults(f: FaultFigures): void {
  const injected = Object.values(f.injected).reduce((a, b) => a + b, 0);
  log(
    `\nfault trials: ${f.trials} at rate ${rate} (strategies ${strategies.join(', ')}; ` +
      `first seed ${firstSeed})`,
  );
  log(
    `  runs ${f.runs}; requests ${f.requests}; faults injected ${injected} ` +
      `(${((100 * injected) / Math.max(1, f.requests)).toFixed(1)}%)`,
  );
  log(
    `  exit codes of runs with faults: ${Object.entries(f.exits)
      .map(([code, n]) => `${code}: ${n}`)
      .join(', ')}`,
  );
  log(
    `  files that ran out of attempts in a faulted run (pending, then uploaded): ${f.filesFailed}`,
  );
  for (const r of f.reasons.slice(0, 8)) log(`    ${r.slice(0, 160)}`);
  log(
    `  by kind: ${FAULT_KINDS.filter((k) => f.injected[k] > 0)
      .map((k) => `${k} ${f.injected[k]}`)
      .join(', ')}`,
  );
  log(
    `  files compared byte for byte ${f.filesChecked}; files lost ${f.filesLost}; objects ` +
      `not byte-exact ${f.filesCorrupt}; problems ${f.failures.length}`,
  );
}

async function main(): Promise<number> {
  const server = await startS3Server();
  const client = createTestClient(server.endpoint);
  // A fixed archive seed: `--seed N --count 1` then replays trial N on the same archive.
  const archive = await createTrialArchive(
    opts.archive === 'large' ? LARGE_ARCHIVE : SMALL_ARCHIVE,
    1,
  );
  const journal = strategies.includes('journal')
    ? await writeJournal(archive, server.endpoint)
    : undefined;
  log(
    `archive: ${archive.files.length} files, ${(archive.bytes / 1048576).toFixed(1)} MiB ` +
      `in ${archive.days.length} day folders; server ${server.endpoint}`,
  );
  try {
    if (opts.faults) {
      const figures = emptyFaultFigures();
      const proxy = await startFaultProxy(server.endpoint, { seed: firstSeed });
      const keys = archive.files.map((f) => f.path);
      // One proxy for every trial: its rules are set per trial, so trials run one at a time.
      for (let i = 0; i < count; i++) {
        const seed = firstSeed + i;
        const strategy = strategies[i % strategies.length]!;
        const rules = [...permanentRules(seed, keys), ...transientFaults(rate)];
        const problems = await runFaultTrial(
          { strategy, archive, proxy, client, journal, rules, seed, maxRuns: 3 },
          figures,
        );
        for (const p of problems) log(`FAIL ${p}`);
        if ((i + 1) % 10 === 0 || i + 1 === count) log(`… ${i + 1}/${count} trials`);
      }
      await proxy.close();
      printFaults(figures);
      if (opts.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
      return figures.failures.length || figures.filesLost || figures.filesCorrupt ? 1 : 0;
    }
    const figures = emptyCrashFigures();
    const horizon = { ms: 3000 };
    // SIGKILL is drawn twice as often as each graceful kind.
    // Ctrl-C: the figures so far, then stop.
    process.once('SIGINT', () => {
      printCrash(figures);
      process.exit(130);
    });
    const stops = { random: ['SIGKILL', ...STOP_KINDS] as StopKind[], maxStops: 3 };
    await runAll(
      (seed, strategy) =>
        runCrashTrial(
          { strategy, seed, archive, endpoint: server.endpoint, client, journal, stops, horizon },
          figures,
        ),
      () =>
        `stops ${Object.values(figures.stops).reduce((a, b) => a + b, 0)}, files lost ` +
        `${figures.filesLost}, problems ${figures.failures.length}`,
    );
    printCrash(figures);
    if (opts.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    return figures.failures.length || figures.uncovered || figures.filesLost || figures.filesCorrupt
      ? 1
      : 0;
  } finally {
    client.destroy();
    await archive.cleanup();
    await server.stop();
  }
}

process.exitCode = await main();
