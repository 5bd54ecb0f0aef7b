import { Flags } from '@oclif/core';
import {
  checkRange,
  EXIT_CODES,
  isRecsyncError,
  syncJob,
  type Plugin,
  type RecsyncError,
  type ResolvedJob,
} from '@recsync/framework/internal';
import {
  RecsyncCommand,
  rangeFlags,
  rangeOf,
  shardFlags,
  sourceChangeFlags,
  withShards,
} from '../base.js';
import { humanOutputs } from '../render/lines.js';
import { errorText, humanReporter, ndjsonReporter } from '../render/sync.js';
import type { ProgressDisplay } from '../render/progress.js';

export default class Sync extends RecsyncCommand {
  static override summary =
    'Upload what is new: the files the strategy points to that are not in the bucket yet.';
  static override description = [
    'Runs each job: pending files first, then every partition from the cursor (catching up ' +
      'missed runs), uploading what is missing, and saves the cursor after each completed ' +
      'partition.',
    `Exit codes: ${EXIT_CODES.ok} all done (deferred files may wait in the pending set); ` +
      `${EXIT_CODES.filesPending} some files failed and are pending; ${EXIT_CODES.usage} ` +
      `usage or config error; ${EXIT_CODES.locked} another run holds the job's lease, or took ` +
      `it over while this run was paused (nothing written); ${EXIT_CODES.fatal} fatal target ` +
      `error (credentials, bucket, endpoint, uploads failing in a row); ` +
      `${EXIT_CODES.interrupted} interrupted (state saved).`,
    'Ctrl-C (SIGINT/SIGTERM) stops taking new files, lets in-flight uploads finish and saves ' +
      'state; a second one aborts the in-flight uploads too.',
    'On a terminal a progress line shows the partition being read, files and bytes done of those ' +
      'listed so far, rate and ETA (not with --quiet or --json). Off a terminal every line ' +
      'starts with an ISO 8601 timestamp.',
    '--json (or --log-format json) prints NDJSON events on stdout, each with a "time": run, ' +
      'file, partition, warning, failed, done.',
    '--dry-run is `recsync plan` with the same flags.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> sync',
    '<%= config.bin %> sync --job recordings --since 2026-11-01 --until 2026-11-07',
    '<%= config.bin %> sync --log-format json >> /var/log/recsync.ndjson',
  ];
  static override flags = {
    ...rangeFlags,
    ...sourceChangeFlags,
    ...shardFlags,
    concurrency: Flags.integer({
      min: 1,
      max: 1024,
      description: 'uploads in flight (overrides upload.concurrency)',
    }),
    'dry-run': Flags.boolean({
      char: 'n',
      description: 'show what would be uploaded and change nothing (same as `recsync plan`)',
    }),
    quiet: Flags.boolean({
      char: 'q',
      description:
        'no progress or partition lines; warnings, errors, and the summary of a ' +
        'run that did not exit 0',
    }),
    'log-format': Flags.option({
      options: ['text', 'json'] as const,
      default: 'text',
      description: 'text lines, or the NDJSON events of --json',
    })(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Sync);
    this.setVerbosity(flags.verbose);
    if (flags['dry-run']) return this.dryRun();
    const jobs = withShards(await this.loadJobs(flags), flags);
    const range = rangeOf(flags);
    for (const job of jobs) checkRange(job, range); // before any lock, state or listing
    const json = flags.json || flags['log-format'] === 'json';
    const { signal, abortSignal, dispose } = stopSignals();
    const write = (text: string) => void process.stdout.write(text);
    const reporters: Reporters = json
      ? { plugins: [ndjsonReporter(write)] }
      : await this.humanReporters(flags.quiet);
    let exitCode: number = EXIT_CODES.ok;
    let skipped = false; // jobs not started because of a stop signal
    try {
      for (const job of jobs) {
        if (signal.aborted) {
          skipped = true;
          break;
        }
        try {
          const acceptSourceChange = flags['accept-source-change'];
          const options = {
            range,
            concurrency: flags.concurrency,
            signal,
            abortSignal,
            plugins: reporters.plugins,
            acceptSourceChange,
          };
          const stats = await syncJob(job, options);
          exitCode = Math.max(exitCode, stats.exitCode);
        } catch (error) {
          if (!isRecsyncError(error)) throw error;
          // One job's config/lock/target problem does not stop the other jobs.
          if (json)
            write(
              `${JSON.stringify({
                event: 'failed',
                time: new Date().toISOString(),
                job: job.name,
                ...error.toJSON(),
              })}\n`,
            );
          else reporters.printError?.(error);
          exitCode = Math.max(exitCode, error.exitCode);
        }
      }
    } finally {
      reporters.progress?.stop();
      dispose();
      await this.writeMetrics();
    }
    // An interrupted job reports `interrupted` itself; a signal after the last job finished changes
    // nothing.
    if (skipped) exitCode = EXIT_CODES.interrupted;
    if (exitCode !== EXIT_CODES.ok) this.exit(exitCode);
  }

  /** `sync --dry-run`: the plan command with the flags plan knows. */
  private async dryRun(): Promise<void> {
    const syncOnly = new Set(['--dry-run', '-n', '--quiet', '-q']);
    const argv: string[] = [];
    for (let i = 0; i < this.argv.length; i++) {
      const arg = this.argv[i];
      if (syncOnly.has(arg)) continue;
      if (arg === '--concurrency' || arg === '--log-format') i++;
      else if (!arg.startsWith('--concurrency=') && !arg.startsWith('--log-format='))
        argv.push(arg);
    }
    await this.config.runCommand('plan', argv);
  }

  private async humanReporters(quiet: boolean): Promise<Reporters> {
    const timestamps = !process.stdout.isTTY;
    const outputs = humanOutputs({ timestamps });
    const live = !quiet && Boolean(process.stdout.isTTY && process.stderr.isTTY) && !process.env.CI;
    let progress: ProgressDisplay | undefined;
    const plugins: Plugin[] = [];
    if (live) {
      const [{ createProgressTracker }, { startProgress }] = await Promise.all([
        import('@recsync/framework/internal'),
        import('../render/progress.js'),
      ]);
      const tracker = createProgressTracker();
      plugins.push(tracker.plugin);
      progress = startProgress(process.stderr, tracker.snapshot);
    }
    plugins.push(
      humanReporter({
        ...outputs,
        verbosity: this.verbosity,
        quiet,
        progress,
        cursorText: (job, cursor) => this.cursorText(job, cursor),
      }),
    );
    const printError = (error: RecsyncError) => {
      const text = errorText(error);
      if (progress) progress.log(text);
      else outputs.err(text);
    };
    return { plugins, progress, printError };
  }

  /** `metrics.textfile`: rewritten after every sync, for every job of the config. */
  private async writeMetrics(): Promise<void> {
    const file = this.config_?.metrics?.textfile;
    if (!file) return;
    try {
      const { writeMetricsFile } = await import('../metrics-file.js');
      await writeMetricsFile(file, this.config_!.jobs as ResolvedJob[]);
    } catch (error) {
      process.stderr.write(
        `warning: cannot write the metrics file ${file}: ${(error as Error).message}\n`,
      );
    }
  }
}

interface Reporters {
  readonly plugins: Plugin[];
  readonly progress?: ProgressDisplay;
  printError?(error: RecsyncError): void;
}

/** A signal once every job has ended: what is left (metrics, the summary) is not worth waiting. */
function stopNow(): never {
  process.exit(EXIT_CODES.interrupted);
}

/** First SIGINT/SIGTERM: graceful stop; second: abort in-flight uploads. */
function stopSignals() {
  const graceful = new AbortController();
  const hard = new AbortController();
  const onSignal = (name: string) => {
    if (!graceful.signal.aborted) {
      process.stderr.write(
        `\n${name}: stopping — finishing in-flight uploads and saving state ` +
          `(again to abort them)\n`,
      );
      graceful.abort();
    } else if (!hard.signal.aborted) {
      process.stderr.write(`\n${name}: aborting in-flight uploads\n`);
      hard.abort();
    }
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: graceful.signal,
    abortSignal: hard.signal,
    // After the jobs (state saved, nothing in flight) a signal ends the process at once with
    // the documented code; without a handler it would die by the signal instead.
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      for (const name of ['SIGINT', 'SIGTERM'] as const) {
        process.off(name, stopNow); // one each, however many syncs run in this process
        process.once(name, stopNow);
      }
    },
  };
}
