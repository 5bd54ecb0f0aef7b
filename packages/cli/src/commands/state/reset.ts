import { Flags } from '@oclif/core';
import { RecsyncError, resetJobState } from '@recsync/framework/internal';
import { RecsyncCommand } from '../../base.js';

export default class StateReset extends RecsyncCommand {
  static override summary = "Move a job's state aside so the next sync starts over.";
  static override description = [
    'The state file is renamed to <file>.<time>.bak (nothing is deleted); for a sharded ' +
      "job, every shard's state is (whatever the shard count), each under its shard's lease. " +
      "The next sync is a first run: it starts from the strategy's start (or everything it " +
      'finds) and skips objects already in the bucket. Use it after pointing a job at a new ' +
      'bucket or layout that should get a full backup.',
    "Takes the job's lease first, so a running sync cannot undo the reset: it waits for a " +
      'lease it finds to be judged (exit 3 while another run renews it). Name the job(s) with ' +
      '--job, or pass --all to reset every job of the config.',
    '--json prints {"command":"state reset","jobs":[{job, movedTo: [files]}]} (an empty ' +
      'list: no state to reset).',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> state reset --job recordings',
    '<%= config.bin %> state reset --all',
  ];
  static override flags = {
    all: Flags.boolean({
      description: 'reset every job of the config (required when no --job is given)',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(StateReset);
    this.verbose = flags.verbose;
    if (!flags.job?.length && !flags.all) {
      throw new RecsyncError('E_USAGE', {
        message: 'state reset needs --job NAME (repeatable) or --all',
        hint:
          'a reset makes the next sync start over; name the job(s) to reset, or pass --all ' +
          'to reset every job',
      });
    }
    const warn = (message: string) => void process.stderr.write(`recsync: warning: ${message}\n`);
    const results = [];
    for (const job of await this.loadJobs(flags)) {
      const moved = await resetJobState(job, { warn });
      results.push({ job: job.name, movedTo: moved });
      if (!flags.json)
        this.log(
          moved.length > 0
            ? `job ${job.name}: state moved to ${moved.join(', ')}`
            : `job ${job.name}: no state to reset`,
        );
    }
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify({ command: 'state reset', jobs: results }, null, 2)}\n`,
      );
  }
}
