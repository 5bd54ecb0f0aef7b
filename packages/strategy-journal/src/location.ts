/**
 * Where a job's journal is: for the strategy, and for producers (`recsync journal add`) that
 * must find the same journal from the config.
 */
import path from 'node:path';
import { RecsyncError, type ResolvedJob } from '@recsync/framework';
import type { ResolvedJournalOptions } from './options.js';

export const STRATEGY_NAME = '@recsync/strategy-journal';

export interface JournalLocation {
  /** `file`: one journal file (rotated by rename or copy-truncate); `directory`: segment files. */
  readonly kind: 'file' | 'directory';
  /** Absolute path; relative paths in the options are relative to the source. */
  readonly path: string;
}

export function journalLocation(
  options: Pick<ResolvedJournalOptions, 'path' | 'directory'>,
  source: string,
): JournalLocation {
  if (options.path !== undefined) return { kind: 'file', path: path.resolve(source, options.path) };
  return { kind: 'directory', path: path.resolve(source, options.directory ?? '.') };
}

/**
 * The one job whose journal a producer appends to: the job named `name`, or else the only job
 * using the journal strategy. Throws E_USAGE (exit 2) naming the candidates otherwise.
 */
export function journalJob(
  jobs: readonly ResolvedJob[],
  name?: string,
): { job: ResolvedJob; journal: JournalLocation } {
  const usesJournal = (job: ResolvedJob) => job.strategy.definition.name === STRATEGY_NAME;
  const selected =
    name === undefined ? jobs.filter(usesJournal) : jobs.filter((j) => j.name === name);
  const journals = jobs.filter(usesJournal).map((j) => j.name);
  if (selected.length !== 1) {
    const message =
      name !== undefined
        ? `no job named ${JSON.stringify(name)}`
        : journals.length === 0
          ? 'no job uses the journal strategy'
          : `several jobs use the journal strategy (${journals.join(', ')})`;
    throw new RecsyncError('E_USAGE', {
      message,
      hint: journals.length
        ? `pick one with --job (${journals.join(', ')})`
        : 'set strategy: journal({ path }) on a job',
    });
  }
  const job = selected[0]!;
  if (!usesJournal(job)) {
    throw new RecsyncError('E_USAGE', {
      message: `job "${job.name}" uses the strategy ${job.strategy.definition.name}, not a journal`,
      hint: journals.length
        ? `jobs with a journal: ${journals.join(', ')}`
        : 'set strategy: journal({ path }) on the job',
    });
  }
  // Validated (and defaulted) by the job's own copy of the strategy, which may not be this one.
  const { path: file, directory } = job.strategy.options as { path?: unknown; directory?: unknown };
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    job,
    journal: journalLocation({ path: text(file), directory: text(directory) }, job.source),
  };
}
