import { Flags } from '@oclif/core';
import {
  EXIT_CODES,
  openRestore,
  RecsyncError,
  type ResolvedJob,
} from '@recsync/framework/internal';
import { RecsyncCommand, rangeFlags, rangeOf, shardFlags, withShards } from '../base.js';
import { writeRestoreLines, writeRestoreNdjson } from '../render/restore.js';

export default class Restore extends RecsyncCommand {
  static override summary =
    "Bring a job's files back from the bucket, checked against their stored checksums.";
  static override description = [
    "Restores the job's objects (all, or --prefix P relative to the job's prefix, or the " +
      'partitions of --since/--until or --partition, found in the local source) into --to ' +
      'DIR: each one to a temp name, checked against the checksum stored at upload, given the ' +
      'mtime stored at upload (to the microsecond), then moved into place. Original names ' +
      'come back from metadata where the key had to be encoded. An existing file is never ' +
      'overwritten without --overwrite; a file already there with the right size and checksum ' +
      'is skipped, so an interrupted restore resumes where it stopped. Keys that are not ' +
      'valid local paths, and symlinks inside --to, are refused, never followed.',
    'Objects in GLACIER or DEEP_ARCHIVE (or an Intelligent-Tiering archive tier) are listed as ' +
      'waiting for a restore request; --request-archive-restore issues it (--tier, --days), ' +
      'and a later run downloads what is ready.',
    "--shard I/N (or --shard auto, with --shards N or the job's shards setting) restores one " +
      "shard's share: only the objects whose hash(object key) mod N is I, so N restores into " +
      'the same --to together restore what one restore does, each object once. Without ' +
      '--shard or --shards the whole job is restored, even when it runs as shards.',
    `Exit codes: ${EXIT_CODES.ok} everything in scope restored or already there; ` +
      `${EXIT_CODES.filesPending} something failed, was refused, not overwritten, or waits ` +
      `for an archive restore; ${EXIT_CODES.usage} usage or config error; ${EXIT_CODES.fatal} ` +
      `fatal target error; ${EXIT_CODES.interrupted} interrupted.`,
    '--json prints NDJSON: restore, object and summary events.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> restore --job recordings --to /srv/restore',
    '<%= config.bin %> restore --job recordings --to /srv/restore --since 2026-03-01 ' +
      '--until 2026-03-31 --dry-run',
    '<%= config.bin %> restore --job recordings --to /srv/restore --prefix 2026-03-14/ ' +
      '--request-archive-restore --tier Bulk',
    '<%= config.bin %> restore --job recordings --to /srv/restore --shard auto --shards 8',
  ];
  static override flags = {
    ...rangeFlags,
    ...shardFlags,
    to: Flags.string({
      required: true,
      helpValue: 'DIR',
      description: 'folder to restore into (created if missing)',
    }),
    partition: Flags.string({
      helpValue: 'ID',
      description: 'one partition (as `recsync plan` names it)',
    }),
    prefix: Flags.string({
      helpValue: 'KEYPREFIX',
      description: "objects under this prefix, relative to the job's target.prefix",
    }),
    overwrite: Flags.boolean({ description: 'replace existing files that differ' }),
    'dry-run': Flags.boolean({ description: 'show what would be downloaded; write nothing' }),
    concurrency: Flags.integer({
      min: 1,
      max: 256,
      default: 16,
      description: 'objects in flight (big objects use up to 4 ranged GETs each)',
    }),
    'request-archive-restore': Flags.boolean({
      description: 'issue restore requests for objects in archive classes',
    }),
    tier: Flags.string({
      options: ['Standard', 'Bulk', 'Expedited'],
      default: 'Standard',
      description: 'retrieval tier for --request-archive-restore',
    }),
    days: Flags.integer({
      min: 1,
      default: 7,
      description: 'days a restored copy stays readable (not for Intelligent-Tiering)',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Restore);
    this.verbose = flags.verbose;
    const jobs = await this.loadJobs(flags);
    if (jobs.length !== 1) {
      throw new RecsyncError('E_USAGE', {
        message: `restore works on one job; the config has ${jobs.map((j) => j.name).join(', ')}`,
        hint: 'name it with --job',
      });
    }
    const [job]: ResolvedJob[] = withShards(jobs, flags, { whole: true });
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const write = (text: string) => void process.stdout.write(text);
    try {
      const run = await openRestore(job, {
        to: flags.to,
        range: rangeOf(flags),
        partition: flags.partition,
        prefix: flags.prefix,
        overwrite: flags.overwrite,
        dryRun: flags['dry-run'],
        concurrency: flags.concurrency,
        ...(flags['request-archive-restore']
          ? {
              archiveRestore: {
                tier: flags.tier as 'Standard' | 'Bulk' | 'Expedited',
                days: flags.days,
              },
            }
          : {}),
        signal: controller.signal,
      });
      try {
        const summary = flags.json
          ? await writeRestoreNdjson(job.name, run, flags.to, write)
          : await writeRestoreLines(job.name, run, flags.to, write, { verbose: flags.verbose });
        if (summary.exitCode !== EXIT_CODES.ok) this.exit(summary.exitCode);
      } finally {
        run.dispose();
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
