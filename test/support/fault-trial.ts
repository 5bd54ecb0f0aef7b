/**
 * Server-fault trials: a trial job whose endpoint is a fault-injecting proxy, synced in process
 * (the engine and the S3 client are the ones the CLI runs), with what the run reported.
 */
import { syncJob, type FileEvent, type RunStats } from '@recsync/framework';
import { recordEvents, type TestBucketClient } from '@recsync/framework/testing';
import {
  FAULT_KINDS,
  type FaultKind,
  type FaultProxy,
  type FaultRule,
} from './fault-injecting-proxy.js';
import type { TrialArchive } from './trial-archive.js';
import {
  checkBucket,
  checkState,
  createTrialJob,
  type TrialJob,
  type TrialStrategy,
} from './trial-job.js';

export interface FaultRun {
  readonly stats: RunStats;
  readonly events: FileEvent[];
  readonly warnings: { code: string; message: string }[];
  /** Keys reported uploaded in this run. */
  readonly uploaded: string[];
}

export async function createFaultJob(options: {
  strategy: TrialStrategy;
  archive: TrialArchive;
  proxy: FaultProxy;
  client: TestBucketClient;
  journal?: string;
  upload?: Record<string, unknown>;
}): Promise<TrialJob> {
  return createTrialJob({ ...options, endpoint: options.proxy.endpoint });
}

export async function syncOnce(trial: TrialJob): Promise<FaultRun> {
  const recorded = recordEvents();
  const stats = await syncJob(trial.job, { plugins: [recorded.plugin] });
  const { events, warnings } = recorded;
  return { stats, events, warnings, uploaded: recorded.uploaded() };
}

/** Moderate random faults of every transient kind, on every kind of request. */
export function transientFaults(rate: number): FaultRule[] {
  const kinds: FaultKind[] = [
    'error500',
    'slowDown',
    'resetBefore',
    'resetAfter',
    'stall',
    'slowBody',
  ];
  return kinds.map((kind) => ({
    kind,
    rate: rate / kinds.length / (1 - (rate * kinds.indexOf(kind)) / kinds.length),
  }));
}

export interface FaultFigures {
  trials: number;
  runs: number;
  requests: number;
  /** Exit codes of the runs with faults (1: a file ran out of attempts and was rerun). */
  exits: Record<string, number>;
  /**
   * Files that ran out of attempts in a faulted run (pending, retried by the next run), with a
   * sample of reasons.
   */
  filesFailed: number;
  reasons: string[];
  injected: Record<FaultKind, number>;
  filesChecked: number;
  filesLost: number;
  filesCorrupt: number;
  failures: string[];
}

export function emptyFaultFigures(): FaultFigures {
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  return {
    trials: 0,
    runs: 0,
    requests: 0,
    exits: {},
    filesFailed: 0,
    reasons: [],
    injected,
    filesChecked: 0,
    filesLost: 0,
    filesCorrupt: 0,
    failures: [],
  };
}

/**
 * One fault trial: sync through the proxy with `rules` until a run exits 0 (at most `maxRuns`;
 * a run may end 1 when a file ran out of attempts), then a clean run through the same proxy
 * with no faults, then every file is checked byte for byte.
 */
export interface FaultTrialOptions {
  readonly strategy: TrialStrategy;
  readonly archive: TrialArchive;
  readonly proxy: FaultProxy;
  readonly client: TestBucketClient;
  readonly journal?: string;
  readonly rules: FaultRule[];
  readonly seed: number;
  readonly maxRuns: number;
}

export async function runFaultTrial(
  options: FaultTrialOptions,
  figures: FaultFigures,
): Promise<string[]> {
  const { proxy } = options;
  const before = { requests: proxy.requests.length, injected: { ...proxy.injected } };
  const trial = await createFaultJob(options);
  const problems: string[] = [];
  proxy.rules = options.rules;
  let exitCode = -1;
  for (let run = 0; run < options.maxRuns && exitCode !== 0; run++) {
    const { stats, events } = await syncOnce(trial);
    for (const e of events.filter((x) => x.outcome === 'failed')) {
      figures.filesFailed++;
      if (figures.reasons.length < 20) figures.reasons.push(`${e.key}: ${e.reason}`);
    }
    figures.runs++;
    exitCode = stats.exitCode;
    figures.exits[exitCode] = (figures.exits[exitCode] ?? 0) + 1;
    if (![0, 1].includes(exitCode))
      problems.push(`faulty run ${run + 1}: exit ${exitCode} ${JSON.stringify(stats.error ?? {})}`);
  }
  proxy.rules = [];
  const clean = await syncOnce(trial);
  figures.runs++;
  if (clean.stats.exitCode !== 0)
    problems.push(
      `clean run: exit ${clean.stats.exitCode} ${JSON.stringify(clean.stats.error ?? {})}`,
    );
  const state = await checkState(trial.stateFile);
  problems.push(...state.problems);
  if (state.pending.length)
    problems.push(`pending after the clean run: ${state.pending.slice(0, 5).join(', ')}`);
  const bucket = await checkBucket(options.client, trial.bucket, options.archive);
  figures.trials++;
  figures.requests += proxy.requests.length - before.requests;
  for (const k of FAULT_KINDS) figures.injected[k] += proxy.injected[k] - before.injected[k];
  figures.filesChecked += bucket.checked;
  figures.filesLost += bucket.missing.length;
  figures.filesCorrupt += bucket.corrupt.length;
  if (bucket.missing.length) problems.push(`missing: ${bucket.missing.slice(0, 5).join(', ')}`);
  if (bucket.corrupt.length)
    problems.push(`not byte-exact: ${bucket.corrupt.slice(0, 5).join(', ')}`);
  const labelled = problems.map((p) => `[faults ${options.strategy} seed ${options.seed}] ${p}`);
  figures.failures.push(...labelled);
  return labelled;
}
