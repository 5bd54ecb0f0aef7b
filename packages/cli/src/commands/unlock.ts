import {
  describeOwner,
  jobLeaseBackend,
  RecsyncError,
  unlockJob,
} from '@recsync/framework/internal';
import { RecsyncCommand, shardFlags, withShards } from '../base.js';

export default class Unlock extends RecsyncCommand {
  static override summary =
    "Remove a job's lease (the human override when a run is known to be gone).";
  static override description = [
    'A lease whose heartbeat stops is taken over by the next run after the lease timeout ' +
      'on its own; unlock is for not waiting. It removes the lease whoever holds it and ' +
      'prints who that was. A run that still lives loses nothing by it: before its next state ' +
      'save it finds the lease gone and stops with exit 3 without writing.',
    '--json prints {"command":"unlock","jobs":[{job, lockFile, removed: lease|null}]}.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> unlock --job recordings',
    '<%= config.bin %> unlock --job recordings --shard 3/8',
  ];
  static override flags = { ...shardFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(Unlock);
    this.verbose = flags.verbose;
    if (!flags.job?.length) {
      throw new RecsyncError('E_USAGE', {
        message: 'unlock needs --job NAME (repeatable)',
        hint: 'name the job whose lease to remove',
      });
    }
    const results = [];
    for (const job of withShards(await this.loadJobs(flags), flags)) {
      const removed = await unlockJob(job);
      results.push({
        job: job.name,
        ...(job.shard ? { shard: job.shard } : {}),
        lockFile: jobLeaseBackend(job).where,
        removed: removed ? (removed.record ?? { unreadable: removed.version }) : null,
      });
      if (!flags.json)
        this.log(
          removed
            ? `job ${job.name}: removed the lease of ${describeOwner(removed.record)}`
            : `job ${job.name}: no lease to remove`,
        );
    }
    if (flags.json)
      process.stdout.write(`${JSON.stringify({ command: 'unlock', jobs: results }, null, 2)}\n`);
  }
}
