import { Flags } from '@oclif/core';
import {
  EXIT_CODES,
  isRecsyncError,
  openInventoryCheck,
  openManifestCheck,
  openVerify,
  parseSubset,
  RecsyncError,
  type VerifyRun,
} from '@recsync/framework/internal';
import { RecsyncCommand, rangeFlags, rangeOf, shardFlags, withShards } from '../base.js';
import { shardText } from '../render/format.js';
import { costText, writeVerifyNdjson, writeVerifyTable } from '../render/verify.js';

export default class Verify extends RecsyncCommand {
  static override summary = 'Prove the backup: compare local files and objects, per folder.';
  static override description = [
    'Scope: the partitions a sync would look at now (the look-back window), --since/--until, ' +
      "--partition ID, or --all (the whole source and the job's whole prefix, for every " +
      'strategy). Levels: listing (default: existence, size, objects with no local file; one ' +
      'LIST per folder), --head (also the checksum stored at upload against the local file, ' +
      'mtime, Object Lock retention, storage class; one HEAD per object), --deep (downloads ' +
      'every object and hashes it again: the only check that sees bytes changed inside an ' +
      'object). The cost is printed before a --head or --deep run (--estimate: print it and ' +
      "stop). --manifest RUN checks what one sync's audit manifest claims; --inventory " +
      's3://…/manifest.json reads an S3 Inventory report (CSV or Parquet; ORC is not read) ' +
      'instead of listing.',
    'It never writes to the bucket, except with --repair (the local file wins; write-once and ' +
      'Object Lock jobs never replace an existing object). Local checksums are cached under ' +
      'the state dir (--rehash ignores the cache).',
    "--shard I/N (or --shard auto, with --shards N or the job's shards setting) checks one " +
      "shard's share: only the files and objects whose hash(object key) mod N is I, with that " +
      "shard's pending set; N such runs together check what one run checks, each key once. A " +
      'job with shards > 1 is verified per shard.',
    `Exit codes: ${EXIT_CODES.ok} nothing found; ${EXIT_CODES.filesPending} something found (see ` +
      `the findings); ${EXIT_CODES.usage} usage or config error; ${EXIT_CODES.locked} ` +
      `--repair while another run holds the lock; ${EXIT_CODES.fatal} fatal target error; ` +
      `${EXIT_CODES.interrupted} interrupted.`,
    '--json prints NDJSON: cost, finding, repair, folder and summary events.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> verify --all',
    '<%= config.bin %> verify --all --deep --subset 1/30',
    '<%= config.bin %> verify --partition 2026-11-25 --head --repair',
    '<%= config.bin %> verify --manifest latest --deep',
    '<%= config.bin %> verify --all --head --shard auto --shards 8',
  ];
  static override flags = {
    ...rangeFlags,
    ...shardFlags,
    partition: Flags.string({
      helpValue: 'ID',
      description: 'one partition (as `recsync plan` names it)',
    }),
    all: Flags.boolean({
      description: 'the whole source and the whole prefix, whatever the strategy',
    }),
    head: Flags.boolean({
      description:
        'one HEAD per object: stored checksum vs the local file, mtime, retention, storage class',
      exclusive: ['deep'],
    }),
    deep: Flags.boolean({ description: 'download and hash every object (or a --subset of them)' }),
    subset: Flags.string({
      helpValue: 'K/N',
      description:
        'with --deep: K of N slices per run, the next ones each run (rotation saved per job)',
      dependsOn: ['deep'],
    }),
    rehash: Flags.boolean({ description: 'ignore the local checksum cache' }),
    repair: Flags.boolean({
      description: 'upload missing or different objects again from the local file',
    }),
    inventory: Flags.string({
      helpValue: 's3://BUCKET/…/manifest.json',
      description:
        'read an S3 Inventory report (CSV or Parquet) instead of listing: existence, size, ' +
        'retention, storage class, encryption',
    }),
    manifest: Flags.string({
      helpValue: 'RUN',
      description: 'check one sync\'s audit manifest: a file, a run start time, or "latest"',
    }),
    estimate: Flags.boolean({ description: 'print the cost and stop' }),
    concurrency: Flags.integer({
      min: 1,
      max: 1024,
      default: 32,
      description: 'requests in flight',
    }),
    limit: Flags.integer({
      min: 0,
      default: 50,
      description: 'findings shown per folder (human output)',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Verify);
    this.verbose = flags.verbose;
    const jobs = withShards(await this.loadJobs(flags), flags);
    const subset = flags.subset !== undefined ? parseSubset(flags.subset) : undefined;
    const level = flags.deep ? 'deep' : flags.head ? 'head' : 'list';
    if (
      flags.inventory !== undefined &&
      (flags.manifest !== undefined ||
        flags.head ||
        flags.deep ||
        flags.partition ||
        flags.since ||
        flags.until ||
        flags.repair)
    ) {
      throw new RecsyncError('E_USAGE', {
        message:
          '--inventory checks the whole prefix at listing level from the report: it takes no ' +
          'scope, level, --manifest or --repair',
        hint: 'run --head or --deep checks separately',
      });
    }
    if (
      flags.manifest !== undefined &&
      (flags.all || flags.partition || flags.since || flags.until || flags.repair || subset)
    ) {
      throw new RecsyncError('E_USAGE', {
        message: '--manifest checks what one run recorded: it takes no scope, --subset or --repair',
        hint: 'run it on its own (with --deep to re-read the objects)',
      });
    }
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const write = (text: string) => void process.stdout.write(text);
    let exitCode: number = EXIT_CODES.ok;
    try {
      for (const job of jobs) {
        if (controller.signal.aborted) break;
        try {
          const run: VerifyRun =
            flags.inventory !== undefined
              ? await openInventoryCheck(job, { url: flags.inventory, signal: controller.signal })
              : flags.manifest !== undefined
                ? await openManifestCheck(job, {
                    run: flags.manifest,
                    level,
                    concurrency: flags.concurrency,
                    signal: controller.signal,
                  })
                : await openVerify(job, {
                    level,
                    all: flags.all,
                    range: rangeOf(flags),
                    partition: flags.partition,
                    subset,
                    rehash: flags.rehash,
                    repair: flags.repair,
                    concurrency: flags.concurrency,
                    signal: controller.signal,
                  });
          try {
            const cost =
              level === 'list' || flags.manifest !== undefined || flags.inventory !== undefined
                ? undefined
                : await run.estimate();
            if (!flags.json)
              process.stderr.write(
                `job ${job.name}${shardText(run)}: ${level} check of ` +
                  `${run.scope}${run.shard ? " (this shard's share)" : ''}\n` +
                  costText(run, cost, flags.concurrency),
              );
            if (flags.estimate) {
              if (flags.json)
                write(
                  `${JSON.stringify({
                    event: 'cost',
                    job: job.name,
                    ...(run.shard ? { shard: run.shard } : {}),
                    level,
                    scope: run.scope,
                    ...(cost ?? {}),
                  })}\n`,
                );
              continue;
            }
            const summary = flags.json
              ? await writeVerifyNdjson(job.name, run, cost, write)
              : await writeVerifyTable(job.name, run, write, {
                  limit: flags.verbose ? Infinity : flags.limit,
                });
            exitCode = Math.max(
              exitCode,
              summary.exitCode === EXIT_CODES.interrupted ? EXIT_CODES.ok : summary.exitCode,
            );
          } finally {
            await run.dispose();
          }
        } catch (error) {
          if (!isRecsyncError(error)) throw error;
          if (flags.json)
            write(
              `${JSON.stringify({
                event: 'failed',
                job: job.name,
                ...(job.shard ? { shard: job.shard } : {}),
                ...error.toJSON(),
              })}\n`,
            );
          else this.printError(error);
          exitCode = Math.max(exitCode, error.exitCode);
        }
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (controller.signal.aborted) exitCode = EXIT_CODES.interrupted;
    if (exitCode !== EXIT_CODES.ok) this.exit(exitCode);
  }
}
