/**
 * Crash trials: `recsync sync` as a real child process, stopped at seeded random moments
 * (SIGKILL, SIGINT, SIGTERM, or a second signal right after the first), rerun, and checked after
 * every stop and at the end. A trial fails when a stopped run left a state that does not load,
 * a cursor past a file that is not in the bucket, or when the final clean run does not end with
 * exit 0 and every file in the bucket byte-exact.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestBucketClient } from '@recsync/framework/testing';
import { startCli, type CliResult } from './cli.js';
import { createRandom, type Random } from './random.js';
import type { TrialArchive } from './trial-archive.js';
import {
  checkBucket,
  checkState,
  createTrialJob,
  strayTempFiles,
  uncoveredFiles,
  type TrialJob,
  type TrialStrategy,
} from './trial-job.js';

export type StopKind = 'SIGKILL' | 'SIGINT' | 'SIGTERM' | 'double';
export const STOP_KINDS: readonly StopKind[] = ['SIGKILL', 'SIGINT', 'SIGTERM', 'double'];

export interface CrashFigures {
  trials: number;
  runs: number;
  /** Signals that hit a running sync, by kind. */
  stops: Record<StopKind, number>;
  /** Signals planned for a run that had already finished. */
  late: number;
  /** Cursor checks made after a stop. */
  cursorChecks: number;
  /** Files compared byte for byte at the end of trials. */
  filesChecked: number;
  /**
   * After a stop: files neither in the bucket nor planned by the next run (the cursor passed them).
   */
  uncovered: number;
  /** At the end: files missing from the bucket after the clean run. */
  filesLost: number;
  filesCorrupt: number;
  strayTempFiles: number;
  failures: string[];
}

export function emptyCrashFigures(): CrashFigures {
  return {
    trials: 0,
    runs: 0,
    stops: { SIGKILL: 0, SIGINT: 0, SIGTERM: 0, double: 0 },
    late: 0,
    cursorChecks: 0,
    filesChecked: 0,
    uncovered: 0,
    filesLost: 0,
    filesCorrupt: 0,
    strayTempFiles: 0,
    failures: [],
  };
}

export interface CrashTrialOptions {
  readonly strategy: TrialStrategy;
  readonly seed: number;
  readonly archive: TrialArchive;
  readonly endpoint: string;
  readonly client: TestBucketClient;
  readonly journal?: string;
  /** The stops of this trial, in order; or `random` for 1..maxStops stops of any kind. */
  readonly stops:
    | readonly StopKind[]
    | { readonly random: readonly StopKind[]; readonly maxStops: number };
  /**
   * Typical length of a full run (ms): time-based stops are drawn below it. Updated by the trial.
   */
  readonly horizon: { ms: number };
}

interface Moment {
  /** Wait for this many `file` events first... */
  readonly afterFiles: number;
  /** ...then this long (ms). */
  readonly delay: number;
}

/** Half the stops land at a random time, half after a random number of finished files. */
function drawMoment(random: Random, options: CrashTrialOptions): Moment {
  if (random.chance(0.5)) return { afterFiles: 0, delay: random.int(0, options.horizon.ms) };
  return { afterFiles: random.int(1, options.archive.files.length), delay: random.int(0, 40) };
}

/** Starts `recsync sync --json`, counting `run` and `file` events as they are printed. */
function startSync(cwd: string) {
  const run = startCli(['sync', '--json'], { cwd });
  const seen = { run: false, files: 0 };
  let partial = '';
  run.child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('{"event":"run"')) seen.run = true;
      else if (line.startsWith('{"event":"file"')) seen.files++;
    }
  });
  let exited = false;
  void run.done.then(() => {
    exited = true;
  });
  return { ...run, seen, exited: () => exited };
}

async function until(check: () => boolean, exited: () => boolean): Promise<boolean> {
  while (!check()) {
    if (exited()) return false;
    await sleep(5);
  }
  return true;
}

/** Sends the stop; returns false when the run ended before it could be stopped. */
async function deliver(child: ChildProcess, kind: StopKind, random: Random): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return false;
  if (kind !== 'double') return child.kill(kind);
  if (!child.kill('SIGINT')) return false;
  await sleep(random.int(0, 200));
  child.kill(random.chance(0.5) ? 'SIGINT' : 'SIGTERM');
  return true;
}

/**
 * What a stopped run's exit says. `stopped`: the signal cut the run short. A signal that lands
 * after the run finished (its done event printed, not interrupted) is late and harmless: exit 0,
 * or 130 from the command's last check, or death by the signal once its handlers are gone.
 */
function judgeExit(kind: StopKind, result: CliResult): { stopped: boolean; problem?: string } {
  const done = result.stdout.includes('{"event":"done"');
  const interrupted = result.stdout.includes('"interrupted":true');
  if (kind === 'SIGKILL' && result.signal === 'SIGKILL') return { stopped: !done };
  if (kind !== 'SIGKILL' && result.code === 130 && interrupted) return { stopped: true };
  if (done && !interrupted && (result.code === 0 || result.code === 130 || result.signal))
    return { stopped: false };
  const expected = kind === 'SIGKILL' ? 'killed' : '130, interrupted';
  return {
    stopped: false,
    problem:
      `after ${kind}: exit ${result.code} signal ${result.signal} (expected ` +
      `${expected})\n${result.stderr.slice(-600)}`,
  };
}

/** One interrupted run: start, stop at the drawn moment, check the state and the cursor. */
async function stoppedRun(
  kind: StopKind,
  trial: TrialJob,
  context: {
    options: CrashTrialOptions;
    random: Random;
    figures: CrashFigures;
    problems: string[];
  },
): Promise<void> {
  const { options, random, figures, problems } = context;
  const moment = drawMoment(random, options);
  const run = startSync(trial.cwd);
  figures.runs++;
  // Graceful stops are meant for a run that has its handlers: wait for its first event.
  let reached = kind === 'SIGKILL' || (await until(() => run.seen.run, run.exited));
  reached &&= await until(() => run.seen.files >= moment.afterFiles, run.exited);
  if (reached) await sleep(moment.delay);
  const delivered = reached && (await deliver(run.child, kind, random));
  const result = await run.done;
  const judged = delivered
    ? judgeExit(kind, result)
    : {
        stopped: false,
        problem:
          result.code === 0
            ? undefined
            : `unstopped run: exit ${result.code}\n${result.stderr.slice(-600)}`,
      };
  if (judged.stopped) figures.stops[kind]++;
  else figures.late++;
  if (judged.problem) problems.push(judged.problem);
  const state = await checkState(trial.stateFile);
  problems.push(...state.problems.map((p) => `after ${kind}: ${p}`));
  if (judged.stopped && kind !== 'SIGKILL' && state.lastExitCode !== 130) {
    problems.push(`after ${kind}: state lastRun.exitCode is ${state.lastExitCode}, expected 130`);
  }
  if (state.problems.length === 0) {
    figures.cursorChecks++;
    const lost = await uncoveredFiles(trial, options.archive, options.client);
    figures.uncovered += lost.length;
    if (lost.length) {
      problems.push(
        `after ${kind} (${JSON.stringify(moment)}): not in the bucket, not planned by the ` +
          `next run: ${lost.slice(0, 5).join(', ')}`,
      );
    }
  }
}

/** Runs one trial; its problems are added to `figures.failures` with the seed. */
export async function runCrashTrial(
  options: CrashTrialOptions,
  figures: CrashFigures,
): Promise<string[]> {
  const random = createRandom(options.seed);
  const trial = await createTrialJob(options);
  const problems: string[] = [];
  const plan = options.stops;
  const stops =
    'random' in plan
      ? Array.from({ length: random.int(1, plan.maxStops) }, () => random.pick(plan.random))
      : plan;
  for (const kind of stops) await stoppedRun(kind, trial, { options, random, figures, problems });

  const started = Date.now();
  const final = await startSync(trial.cwd).done;
  figures.runs++;
  if (final.code !== 0)
    problems.push(
      `final run: exit ${final.code} ${final.signal ?? ''}\n${final.stderr.slice(-800)}`,
    );
  else options.horizon.ms = Math.round(0.7 * options.horizon.ms + 0.3 * (Date.now() - started));
  const state = await checkState(trial.stateFile);
  problems.push(...state.problems.map((p) => `after the final run: ${p}`));
  if (state.pending.length)
    problems.push(`after the final run: pending ${state.pending.slice(0, 5).join(', ')}`);
  const bucket = await checkBucket(options.client, trial.bucket, options.archive);
  figures.filesChecked += bucket.checked;
  figures.filesLost += bucket.missing.length;
  figures.filesCorrupt += bucket.corrupt.length;
  figures.strayTempFiles += await strayTempFiles(trial.stateFile);
  if (bucket.missing.length)
    problems.push(`missing from the bucket: ${bucket.missing.slice(0, 5).join(', ')}`);
  if (bucket.corrupt.length)
    problems.push(`not byte-exact: ${bucket.corrupt.slice(0, 5).join(', ')}`);
  if (bucket.unexpected.length)
    problems.push(`unexpected keys: ${bucket.unexpected.slice(0, 5).join(', ')}`);
  figures.trials++;
  const labelled = problems.map((p) => `[${options.strategy} seed ${options.seed}] ${p}`);
  figures.failures.push(...labelled);
  return labelled;
}
