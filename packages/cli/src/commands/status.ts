import { Flags } from '@oclif/core';
import { describeOwner, jobLeaseBackend, readStateFile, stateFilePath, type LeaseRecord, type StateFile } from '@recsync/framework';
import { RecsyncCommand } from '../base.js';
import { cursorText } from '../render/format.js';

export default class Status extends RecsyncCommand {
  static override summary = 'Show each job\'s saved state: cursor, last run and the pending set.';
  static override description = [
    'Reads the state only: no bucket access. Pending files (failed or deferred) are retried first by the next sync. Also shows the job\'s lease when a run holds it (or left it). --json prints {"command":"status","jobs":[{job, stateFile, state|null, lease|null}]}.',
  ].join('\n\n');
  static override flags = {
    limit: Flags.integer({ default: 50, min: 0, description: 'pending files to list per job (human output)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    this.verbose = flags.verbose;
    const jobs = await this.loadJobs(flags);
    const results: { job: string; stateFile: string; state: StateFile | null; lease: LeaseRecord | null }[] = [];
    for (const job of jobs) {
      const file = stateFilePath(job);
      const lease = await jobLeaseBackend(job).read().catch(() => undefined);
      results.push({ job: job.name, stateFile: file, state: (await readStateFile(file)) ?? null, lease: lease?.record ?? null });
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ command: 'status', jobs: results }, null, 2)}\n`);
      return;
    }
    for (const { job, stateFile, state, lease } of results) {
      this.log(`job ${job}: ${stateFile}`);
      if (lease) this.log(`  lease held by ${describeOwner(lease)} (recsync unlock --job ${job} if that run is gone)`);
      if (!state) {
        this.log('  no state yet: the next sync is a first run\n');
        continue;
      }
      this.log(`  cursor ${cursorText(state.cursor)}`);
      if (state.lastRun) {
        const r = state.lastRun;
        this.log(`  last run ${r.startedAt} → ${r.finishedAt}: exit ${r.exitCode}, uploaded ${r.uploaded}`);
      }
      const pending = Object.entries(state.pending);
      this.log(`  pending ${pending.length}`);
      for (const [path, entry] of pending.slice(0, flags.limit)) {
        this.log(`    ${entry.reason.padEnd(8)} ${path}  (${entry.detail}; ${entry.attempts} attempt(s) since ${entry.firstSeen})`);
      }
      if (pending.length > flags.limit) this.log(`    … and ${pending.length - flags.limit} more (--limit, or --json)`);
      this.log('');
    }
  }
}
