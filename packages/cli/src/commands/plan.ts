import { checkRange, definePlugin, openPlan } from '@recsync/framework/internal';
import {
  RecsyncCommand,
  rangeFlags,
  rangeOf,
  shardFlags,
  sourceChangeFlags,
  withShards,
} from '../base.js';
import { writePlanJson, writePlanTable } from '../render/plan.js';

export default class Plan extends RecsyncCommand {
  static override summary =
    'Show what sync would upload, per partition, without changing anything.';
  static override description = [
    'A dry run on the same code path as sync: it reads the partitions the strategy points ' +
      'to, applies filters and the remote check, and prints per partition the files and bytes ' +
      'that would upload, and how many are already present, excluded, or deferred (too young: ' +
      'they would go to the pending set). It never writes to the bucket or the state.',
    '--json prints one JSON document, streamed: {"command":"plan","jobs":[{job, run, ' +
      'cursor, pending, partitions:[{id, closed, recheck, files:[{action, path, key, size, ' +
      'mtimeMs, reason?}], counts}], facts, totals}]}.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> plan',
    '<%= config.bin %> plan --job recordings --since 2026-11-01 --json',
  ];
  static override flags = { ...rangeFlags, ...sourceChangeFlags, ...shardFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(Plan);
    this.setVerbosity(flags.verbose);
    const jobs = withShards(await this.loadJobs(flags), flags);
    const range = rangeOf(flags);
    for (const job of jobs) checkRange(job, range); // before anything is read
    const write = (text: string) => void process.stdout.write(text);
    // Strategy and engine warnings (a missing journal, an unreadable folder) go to stderr, in both
    // modes; with the table they wait until it is complete, so no warning lands between its rows.
    const held: string[] = [];
    const warnings = definePlugin({
      name: 'recsync:plan-warnings',
      apply: (hooks) =>
        hooks.warning.tap('recsync:plan-warnings', (w) => {
          if (flags.json) process.stderr.write(`warning: ${w.message}\n`);
          else held.push(`warning: ${w.message}\n`);
        }),
    });
    if (flags.json) write('{"command":"plan","jobs":[');
    for (const [i, job] of jobs.entries()) {
      const plan = await openPlan(job, {
        range,
        plugins: [warnings],
        acceptSourceChange: flags['accept-source-change'],
      });
      if (flags.json) await writePlanJson(plan, write, i === 0);
      else {
        await writePlanTable(plan, write, {
          files: this.verbosity,
          cursorText: (c) => this.cursorText(job.name, c),
        });
        for (const text of held.splice(0)) process.stderr.write(text);
      }
    }
    if (flags.json) write('\n]}\n');
  }
}
