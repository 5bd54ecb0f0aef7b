import { adoptJobState, connectionOf } from '@recsync/framework/internal';
import { RecsyncCommand } from '../../base.js';

export default class StateAdopt extends RecsyncCommand {
  static override summary =
    "Keep a job's cursor and pending set after its source, target or layout was changed.";
  static override description = [
    'Rewrites what the state says it is about to match the current config, keeping the ' +
      'cursor. Only for the same data in a renamed place (a moved mount point, a renamed ' +
      'bucket holding a copy): the cursor then skips everything before it, so files never ' +
      'uploaded to the new target stay missing.',
    "Takes the job's lease first (exit 3 while another run renews it).",
    '--json prints {"command":"state adopt","jobs":[{job, adopted, states, before, after}]} ' +
      '(adopted false, without the rest: no state to adopt).',
  ].join('\n\n');
  static override examples = ['<%= config.bin %> state adopt --job recordings'];

  async run(): Promise<void> {
    const { flags } = await this.parse(StateAdopt);
    this.verbose = flags.verbose;
    const warn = (message: string) => void process.stderr.write(`recsync: warning: ${message}\n`);
    const results = [];
    for (const job of await this.loadJobs(flags)) {
      const result = await adoptJobState(job, { warn, connection: await connectionOf(job.target) });
      results.push(
        result ? { job: job.name, adopted: true, ...result } : { job: job.name, adopted: false },
      );
      if (flags.json) continue;
      if (!result) this.log(`job ${job.name}: no state to adopt`);
      else {
        const shards = result.states > 1 ? ` (${result.states} shard states)` : '';
        this.log(
          `job ${job.name}: state${shards} now belongs to ${JSON.stringify(result.after)} ` +
            `(was ${JSON.stringify(result.before)})`,
        );
      }
    }
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify({ command: 'state adopt', jobs: results }, null, 2)}\n`,
      );
  }
}
