import { resetState } from '@recsync/framework';
import { RecsyncCommand } from '../../base.js';

export default class StateReset extends RecsyncCommand {
  static override summary = 'Move a job\'s state aside so the next sync starts over.';
  static override description = [
    'The state file is renamed to <file>.<time>.bak (nothing is deleted). The next sync is a first run: it starts from the strategy\'s start (or everything it finds) and skips objects already in the bucket. Use it after pointing a job at a new bucket or layout that should get a full backup.',
  ].join('\n\n');
  static override examples = ['<%= config.bin %> state reset --job recordings'];

  async run(): Promise<void> {
    const { flags } = await this.parse(StateReset);
    this.setVerbosity(flags.verbose);
    for (const job of await this.loadJobs(flags)) {
      const backup = await resetState(job);
      this.log(backup ? `job ${job.name}: state moved to ${backup}` : `job ${job.name}: no state to reset`);
    }
  }
}
