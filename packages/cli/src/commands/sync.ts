import { Flags } from '@oclif/core';
import { EXIT_CODES, isRecsyncError, syncJob, type Plugin } from '@recsync/framework';
import { RecsyncCommand, rangeFlags, rangeOf, shardFlags, sourceChangeFlags, withShards } from '../base.js';
import { humanReporter, ndjsonReporter } from '../render/sync.js';

export default class Sync extends RecsyncCommand {
  static override summary = 'Upload what is new: the files the strategy points to that are not in the bucket yet.';
  static override description = [
    'Runs each job: pending files first, then every partition from the cursor (catching up missed runs), uploading what is missing, and saves the cursor after each completed partition.',
    'Exit codes: 0 all done (deferred files may wait in the pending set); 1 some files failed and are pending; 2 usage or config error; 3 another run holds the job\'s lease, or took it over while this run was paused (nothing written); 4 fatal target error (credentials, bucket, endpoint, uploads failing in a row); 130 interrupted (state saved).',
    'Ctrl-C (SIGINT/SIGTERM) stops taking new files, lets in-flight uploads finish and saves state; a second one aborts the in-flight uploads too.',
    '--json prints NDJSON events on stdout: run, file, partition, warning, failed, done.',
  ].join('\n\n');
  static override examples = ['<%= config.bin %> sync', '<%= config.bin %> sync --job recordings --since 2026-11-01 --until 2026-11-07'];
  static override flags = {
    ...rangeFlags,
    ...sourceChangeFlags,
    ...shardFlags,
    concurrency: Flags.integer({ min: 1, max: 1024, description: 'uploads in flight (overrides upload.concurrency)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Sync);
    this.verbose = flags.verbose;
    const jobs = withShards(await this.loadJobs(flags), flags);
    const { signal, abortSignal, dispose } = stopSignals();
    const write = (text: string) => void process.stdout.write(text);
    const reporter: Plugin = flags.json
      ? ndjsonReporter(write)
      : humanReporter({ out: write, err: (t) => void process.stderr.write(t), live: Boolean(process.stderr.isTTY), verbose: flags.verbose });
    let exitCode = 0;
    try {
      for (const job of jobs) {
        if (signal.aborted) break;
        try {
          const acceptSourceChange = flags['accept-source-change'];
          const options = { range: rangeOf(flags), concurrency: flags.concurrency, signal, abortSignal, plugins: [reporter], acceptSourceChange };
          const stats = await syncJob(job, options);
          exitCode = Math.max(exitCode, stats.exitCode);
        } catch (error) {
          if (!isRecsyncError(error)) throw error;
          // One job's config/lock/target problem does not stop the other jobs.
          if (flags.json) write(`${JSON.stringify({ event: 'failed', job: job.name, ...error.toJSON() })}\n`);
          else this.printError(error);
          exitCode = Math.max(exitCode, error.exitCode);
        }
      }
    } finally {
      dispose();
    }
    if (signal.aborted) exitCode = EXIT_CODES.interrupted;
    if (exitCode !== 0) this.exit(exitCode);
  }
}

/** First SIGINT/SIGTERM: graceful stop; second: abort in-flight uploads. */
function stopSignals() {
  const graceful = new AbortController();
  const hard = new AbortController();
  const onSignal = (name: string) => {
    if (!graceful.signal.aborted) {
      process.stderr.write(`\n${name}: stopping — finishing in-flight uploads and saving state (again to abort them)\n`);
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
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
