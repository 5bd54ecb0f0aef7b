import { Flags } from '@oclif/core';
import { describeCursor, jobLeaseBackend, readStateFile, stateFilePath, HISTORY_LIMIT, type StateFile } from '@recsync/framework';
import { RecsyncCommand } from '../base.js';
import { renderStatus, type JobStatus } from '../render/status.js';

export default class Status extends RecsyncCommand {
  static override summary = "Show each job's saved state: cursor, lock, recent runs and the pending set.";
  static override description = [
    `Reads the state and lock files only: no bucket access. Shows the cursor in words, who holds the run lease (or left it), the last runs (the state keeps the last ${HISTORY_LIMIT}: start, end, exit code, counts) and the pending files (failed or deferred), which the next sync retries first.`,
    '--json prints {"command":"status","jobs":[{job, stateFile, cursorText, cursorTime?, lease|null, state|null}]}; state.history holds the runs, oldest first.',
  ].join('\n\n');
  static override flags = {
    limit: Flags.integer({ default: 50, min: 0, description: 'pending files to list per job (human output)' }),
    runs: Flags.integer({ default: 10, min: 0, max: HISTORY_LIMIT, description: 'recent runs to list per job (human output)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    this.setVerbosity(flags.verbose);
    const jobs = await this.loadJobs(flags);
    const results: JobStatus[] = [];
    for (const job of jobs) {
      const file = stateFilePath(job);
      const state: StateFile | null = (await readStateFile(file)) ?? null;
      const cursor = describeCursor(job.strategy, state?.cursor);
      const lease = await jobLeaseBackend(job).read().catch(() => undefined);
      results.push({
        job: job.name,
        stateFile: file,
        cursorText: cursor.text,
        ...(cursor.time ? { cursorTime: cursor.time } : {}),
        lease: lease?.record ?? null,
        state,
      });
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ command: 'status', jobs: results }, null, 2)}\n`);
      return;
    }
    process.stdout.write(renderStatus(results, { pending: flags.limit, runs: flags.runs }));
  }
}
