import { existsSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { RecsyncError } from '@recsync/framework';
import { RecsyncCommand } from '../base.js';
import { SEARCH_PLACES } from '../config-loader.js';
import { guessLayout, type LayoutGuess } from '../init/guess-layout.js';
import { configText, type InitAnswers } from '../init/template.js';

const STRATEGIES = ['date', 'mtime', 'journal'] as const;

export default class Init extends RecsyncCommand {
  static override summary = 'Write a recsync.config.ts for one job, from flags or by asking.';
  static override description = [
    'With --source and --bucket it asks nothing; on a terminal without them it asks for ' +
      "each value, offering a guess. The date layout is guessed from the source's folder " +
      'names (2026-11-25, 2026/11/25, rec-20261125, 2026-11-25/13); without dated folders the ' +
      'mtime strategy is proposed.',
    'Writes recsync.config.ts in the working directory (or the --config path), typed with ' +
      'defineConfig, which `recsync plan` accepts as it is. Never overwrites: an existing ' +
      'recsync config there is an error (exit 2).',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --source /home/archive/RECORDINGS --bucket call-recording-backup',
    '<%= config.bin %> init --source /srv/cctv --bucket cctv --strategy mtime --endpoint http://minio:9000',
  ];
  static override flags = {
    source: Flags.string({ helpValue: 'DIR', description: 'folder to back up' }),
    bucket: Flags.string({ description: 'bucket to back up into (never created by recsync)' }),
    prefix: Flags.string({ default: '', description: 'key prefix (a folder) in the bucket' }),
    endpoint: Flags.string({
      helpValue: 'URL',
      description: 'S3-compatible endpoint (MinIO, Ceph, R2, …); sets forcePathStyle',
    }),
    strategy: Flags.option({
      options: STRATEGIES,
      description:
        'date folders, mtime cutoff, or a journal (default: date when dated folders are ' +
        'found, else mtime)',
    })(),
    layout: Flags.string({
      description:
        'date folder layout, e.g. {yyyy}-{MM}-{dd} (default: guessed from the folder names)',
    }),
    timezone: Flags.string({
      description: "IANA zone the folder names are in (default: this machine's)",
    }),
    journal: Flags.string({
      helpValue: 'FILE',
      description: 'journal file the recorder appends to (journal strategy)',
    }),
    name: Flags.string({ default: 'backup', description: 'job name (it names the state file)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    this.setVerbosity(flags.verbose);
    const file = path.resolve(flags.config ?? 'recsync.config.ts');
    await refuseExisting(file, Boolean(flags.config));
    const interactive =
      Boolean(process.stdin.isTTY && process.stdout.isTTY) && (!flags.source || !flags.bucket);
    const answers = interactive ? await this.ask(flags) : await fromFlags(flags);
    await writeFile(file, configText(answers), { flag: 'wx' }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') throw exists(file);
        throw error;
      },
    );
    this.log(`wrote ${file}`);
    this.log('next: `recsync plan` shows what the first sync would upload; `recsync sync` runs it');
  }

  private async ask(flags: InitFlags): Promise<InitAnswers> {
    const { input, select } = await import('@inquirer/prompts');
    const source = path.resolve(
      flags.source ??
        (await input({ message: 'Folder to back up', required: true, validate: isDir })),
    );
    const guess = await guessLayout(source);
    const strategy = (flags.strategy ??
      (await select({
        message: 'How does recsync find new files?',
        default: guess ? 'date' : 'mtime',
        choices: [
          {
            value: 'date',
            name: `date folders${
              guess ? ` (found ${guess.matched} like ` + `${guess.examples.at(-1)})` : ''
            }`,
          },
          { value: 'mtime', name: 'files changed since the last run (any layout)' },
          { value: 'journal', name: 'a journal file the recorder appends each finished file to' },
        ],
      }))) as InitAnswers['strategy'];
    const layout =
      strategy === 'date'
        ? (flags.layout ??
          (await input({ message: 'Folder layout', default: guess?.layout ?? '{yyyy}-{MM}-{dd}' })))
        : undefined;
    const journal =
      strategy === 'journal'
        ? (flags.journal ?? (await input({ message: 'Journal file', required: true })))
        : undefined;
    const bucket = flags.bucket ?? (await input({ message: 'Bucket', required: true }));
    const prefix =
      flags.prefix ||
      (await input({ message: 'Key prefix in the bucket (empty for none)', default: '' }));
    const endpoint =
      flags.endpoint ??
      ((await input({ message: 'S3-compatible endpoint URL (empty for AWS)', default: '' })) ||
        undefined);
    return {
      name: flags.name,
      source,
      bucket,
      prefix,
      endpoint,
      strategy,
      layout,
      timezone: flags.timezone ?? machineZone(),
      journal,
    };
  }
}

type InitFlags = Awaited<ReturnType<Init['parse']>>['flags'] & {
  source?: string;
  bucket?: string;
  prefix: string;
  endpoint?: string;
  strategy?: InitAnswers['strategy'];
  layout?: string;
  timezone?: string;
  journal?: string;
  name: string;
};

async function fromFlags(flags: InitFlags): Promise<InitAnswers> {
  const missing = [!flags.source && '--source', !flags.bucket && '--bucket'].filter(Boolean);
  if (missing.length > 0) {
    throw new RecsyncError('E_USAGE', {
      message: `recsync init needs ${missing.join(' and ')} when it cannot ask (not a terminal)`,
      hint: 'e.g. recsync init --source /home/archive/RECORDINGS --bucket my-backup',
    });
  }
  const source = path.resolve(flags.source!);
  const problem = await isDir(source);
  if (problem !== true)
    throw new RecsyncError('E_USAGE', {
      message: `--source ${source}: ${problem}`,
      hint: 'give the folder to back up',
    });
  let guess: LayoutGuess | undefined;
  if (!flags.layout && flags.strategy !== 'mtime' && flags.strategy !== 'journal')
    guess = await guessLayout(source);
  const strategy = flags.strategy ?? (flags.layout || guess ? 'date' : 'mtime');
  if (strategy === 'journal' && !flags.journal) {
    throw new RecsyncError('E_USAGE', {
      message: '--strategy journal needs --journal FILE',
      hint: 'the file the recorder appends each finished file to',
    });
  }
  if (strategy === 'date' && !flags.layout && !guess) {
    throw new RecsyncError('E_USAGE', {
      message: `no dated folders found in ${source} to guess a layout from`,
      hint: 'give --layout (e.g. {yyyy}-{MM}-{dd}), or use --strategy mtime',
    });
  }
  return {
    name: flags.name,
    source,
    bucket: flags.bucket!,
    prefix: flags.prefix,
    endpoint: flags.endpoint,
    strategy,
    layout: flags.layout ?? guess?.layout,
    timezone: flags.timezone ?? machineZone(),
    journal: flags.journal && path.resolve(flags.journal),
  };
}

async function refuseExisting(file: string, explicit: boolean): Promise<void> {
  const dir = path.dirname(file);
  const others = explicit
    ? [file]
    : SEARCH_PLACES.filter((p) => p !== 'package.json').map((p) => path.join(dir, p));
  const found = others.find((f) => existsSync(f));
  if (found) throw exists(found);
}

function exists(file: string): RecsyncError {
  return new RecsyncError('E_USAGE', {
    message: `a recsync config already exists: ${file}`,
    hint: 'recsync init never overwrites a config; edit it, or move it away and run init again',
  });
}

async function isDir(value: string): Promise<true | string> {
  try {
    return (await stat(path.resolve(value))).isDirectory() ? true : 'not a folder';
  } catch {
    return 'no such folder';
  }
}

function machineZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
