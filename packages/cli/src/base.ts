/**
 * Shared flags and error rendering for every command. Commands stay thin: parse flags, load
 * the config, call the framework, render.
 */
import { Command, Flags, Errors } from '@oclif/core';
import {
  closestName,
  describeCursor,
  describeError,
  EXIT_CODES,
  isRecsyncError,
  RecsyncError,
  resolveShard,
  type ResolvedConfig,
  type ResolvedJob,
} from '@recsync/framework/internal';
import { loadConfig } from './config-loader.js';
import { tuneHeap } from './heap.js';

export abstract class RecsyncCommand extends Command {
  static override baseFlags = {
    help: Flags.help({ char: 'h', description: 'show this help' }),
    config: Flags.string({
      char: 'c',
      helpValue: 'PATH',
      description:
        'config file (default: recsync.config.* or a "recsync" key in package.json, ' +
        'searched from the working directory up)',
    }),
    job: Flags.string({
      char: 'j',
      multiple: true,
      helpValue: 'NAME',
      description: 'job to run; repeatable (default: every job)',
    }),
    json: Flags.boolean({
      description: 'machine-readable output on stdout (see the command description)',
    }),
    verbose: Flags.boolean({
      char: 'v',
      description:
        'more detail: -v every file but present ones, -vv also present ones, stack traces',
    }),
  };

  /** 0 by default; `-v` 1, `-vv` (or `-v -v`) 2. */
  protected verbosity = 0;
  protected get verbose(): boolean {
    return this.verbosity > 0;
  }
  protected set verbose(value: boolean | undefined) {
    this.setVerbosity(value);
  }
  protected setVerbosity(verbose: boolean | undefined): void {
    this.verbosity = verbose ? verbosityOf(this.argv) : 0;
  }

  override async init(): Promise<void> {
    // before anything big is allocated (see heap.ts)
    tuneHeap();
    await super.init();
  }

  /** The loaded config (after {@link loadJobs}). */
  protected config_?: ResolvedConfig;

  /** Loads the config and picks the jobs named with --job (all by default). */
  protected async loadJobs(flags: { config?: string; job?: string[] }): Promise<ResolvedJob[]> {
    const config = await loadConfig({ configPath: flags.config, cwd: process.cwd() });
    this.config_ = config;
    if (!flags.job?.length) return [...config.jobs];
    const unknown = flags.job.filter((name) => !config.jobs.some((j) => j.name === name));
    if (unknown.length > 0) {
      const names = config.jobs.map((j) => j.name);
      const guess = closestName(unknown[0], names);
      throw new RecsyncError('E_USAGE', {
        message:
          `no job named ${unknown.map((n) => JSON.stringify(n)).join(', ')} in ` +
          `${config.configPath ?? 'the config'}`,
        hint: `${guess ? `did you mean ${JSON.stringify(guess)}? ` : ''}jobs: ${names.join(', ')}`,
      });
    }
    return config.jobs.filter((j) => flags.job!.includes(j.name));
  }

  /** The cursor of one of the loaded jobs, in words. */
  protected cursorText(jobName: string, cursor: unknown): string {
    const job = this.config_?.jobs.find((j) => j.name === jobName);
    return describeCursor(job?.strategy, cursor).text;
  }

  /**
   * Prints an error without a stack trace (unless --verbose) and exits with its documented code.
   */
  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    if (isRecsyncError(error)) {
      this.printError(error);
      return this.exit(error.exitCode);
    }
    if (error.oclif?.exit !== undefined || error instanceof Errors.CLIError) {
      // flag parsing and other usage errors from oclif
      process.stderr.write(`recsync: ${error.message}${this.flagSuggestion(error.message)}\n`);
      return this.exit(EXIT_CODES.usage);
    }
    process.stderr.write(`recsync: unexpected error: ${describeError(error)}\n`);
    if (this.verbose && error.stack) process.stderr.write(`${error.stack}\n`);
    return this.exit(EXIT_CODES.internal);
  }

  /** "did you mean --concurrency?" for a misspelt flag. */
  private flagSuggestion(message: string): string {
    const match = /Nonexistent flags?: (--?[\w-]+)/.exec(message);
    if (!match) return '';
    const ctor = this.constructor as typeof RecsyncCommand;
    const names = Object.keys({ ...ctor.baseFlags, ...(ctor.flags ?? {}) });
    const guess = closestName(match[1].replace(/^-+/, ''), names);
    return guess ? `\ndid you mean --${guess}?` : '';
  }

  protected printError(error: RecsyncError): void {
    process.stderr.write(`recsync: error ${error.code}: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  → ${error.hint.replace(/\n/g, '\n    ')}\n`);
    if (this.verbose && error.cause instanceof Error && error.cause.stack)
      process.stderr.write(`${error.cause.stack}\n`);
  }
}

/** Counts `-v`, `-vv`, `--verbose` before a `--`. */
export function verbosityOf(argv: readonly string[]): number {
  let level = 0;
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg === '--verbose') level++;
    else if (/^-[a-zA-Z]+$/.test(arg)) level += [...arg.slice(1)].filter((c) => c === 'v').length;
  }
  return Math.max(1, level);
}

export const rangeFlags = {
  since: Flags.string({
    helpValue: 'WHEN',
    description:
      'start of a one-off range (backfill or full reconcile); ignores the cursor and does ' +
      'not move it',
  }),
  until: Flags.string({
    helpValue: 'WHEN',
    description: 'end of the range (inclusive; default: now)',
  }),
};

/** For plan and sync: accept a source that emptied or lost files, for one run. */
export const sourceChangeFlags = {
  'accept-source-change': Flags.boolean({
    description:
      'accept, for this run, an empty source or a completed partition folder with fewer ' +
      'entries than before (a deliberate move or pruning); the run records the source as it ' +
      'is now',
  }),
};

/** Scale-out: which shard of the job(s) this process is (see the README, "Scale out"). */
export const shardFlags = {
  shard: Flags.string({
    helpValue: 'I/N|auto',
    description:
      'run one shard of the job: files whose hash(object key) mod N is I; "auto" reads I ' +
      'from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or AWS_BATCH_JOB_ARRAY_INDEX (AWS ' +
      'Batch array job)',
  }),
  shards: Flags.integer({
    min: 1,
    max: 1000,
    helpValue: 'N',
    description:
      "number of shards (else from --shard I/N or the job's shards setting; they must agree)",
  }),
};

/**
 * The jobs as this process runs them: each with its shard from --shard/--shards/`shards`, by the
 * same rules for every command (plan, sync, verify, restore). With `whole`, a job whose `shards`
 * setting is N > 1 may still run whole when neither --shard nor --shards is given (restore: one
 * process brings everything back).
 */
export function withShards(
  jobs: readonly ResolvedJob[],
  flags: { shard?: string; shards?: number },
  options: { whole?: boolean } = {},
): ResolvedJob[] {
  const whole = options.whole && flags.shard === undefined && flags.shards === undefined;
  return jobs.map((job) => {
    if (whole) return job;
    const shard = resolveShard(job, { shard: flags.shard, shards: flags.shards });
    return shard ? { ...job, shard } : job;
  });
}

export function rangeOf(flags: {
  since?: string;
  until?: string;
}): { since?: string; until?: string } | undefined {
  if (flags.since === undefined && flags.until === undefined) return undefined;
  return {
    ...(flags.since !== undefined ? { since: flags.since } : {}),
    ...(flags.until !== undefined ? { until: flags.until } : {}),
  };
}
