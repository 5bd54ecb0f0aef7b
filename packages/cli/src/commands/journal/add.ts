import { createInterface } from 'node:readline';
import { Args, Flags } from '@oclif/core';
import { appendToJournal, journalJob } from '@recsync/strategy-journal/internal';
import { RecsyncCommand } from '../../base.js';

export default class JournalAdd extends RecsyncCommand {
  static override summary =
    "Append finished files to a job's journal (for a recorder's post-recording hook).";
  static override description = [
    'Appends one line per PATH to the journal of the job that uses the journal strategy ' +
      '(--job picks one when several do). "-" reads paths from stdin, one per line. Relative ' +
      "paths are relative to the working directory; a path outside the job's source is " +
      'refused (exit 2) and nothing from the argument list is written.',
    'Each entry is one write() to the journal opened with O_APPEND, so concurrent hooks ' +
      'never mix their lines. --fsync makes the lines durable before the command exits.',
    '--json prints {"command":"journal add","job","journal","appended"}.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> journal add /home/archive/RECORDINGS/2026-11-25/call-0001.wav',
    'find . -name "*.wav" -newer stamp | <%= config.bin %> journal add --job recordings -',
  ];
  static override strict = false;
  static override args = {
    path: Args.string({ required: true, description: 'file to add ("-" reads paths from stdin)' }),
  };
  static override flags = {
    // One job, and not greedy: `--job rec FILE` must leave FILE to the arguments.
    job: Flags.string({
      char: 'j',
      helpValue: 'NAME',
      description: 'job whose journal to append to (default: the only job with a journal)',
    }),
    fsync: Flags.boolean({ description: 'fsync the journal before exiting' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(JournalAdd);
    this.setVerbosity(flags.verbose);
    const { job, journal } = journalJob(await this.loadJobs({ config: flags.config }), flags.job);
    const paths = argv as string[];
    const entries = paths.includes('-') ? withStdin(paths) : paths;
    const result = await appendToJournal(journal.path, entries, {
      source: job.source,
      fsync: flags.fsync,
    });
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify({
          command: 'journal add',
          job: job.name,
          journal: result.file,
          appended: result.appended,
        })}\n`,
      );
    else
      this.log(
        `appended ${result.appended} entr${result.appended === 1 ? 'y' : 'ies'} to ${result.file}`,
      );
  }
}

/** The arguments in order, with "-" replaced by the lines of stdin (blank lines skipped). */
async function* withStdin(paths: string[]): AsyncGenerator<string> {
  for (const p of paths) {
    if (p !== '-') yield p;
    else
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity }))
        if (line.trim() !== '') yield line;
  }
}
