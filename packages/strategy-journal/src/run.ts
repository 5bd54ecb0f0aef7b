/**
 * The candidates of one partition's journal lines, for one run.
 *
 * Lines are read in order; each names a file, which is checked against the disk with bounded
 * parallelism (candidates of a partition may come out of line order; the engine does not care
 * within a partition). An entry repeated within a run is yielded once, at its first line: that
 * line's partition comes first, so the cursor can never pass the repeat before the original is
 * done. The set of seen paths lives for one run and holds only the run's new entries.
 */
import {
  JOURNAL_STAT_CONCURRENCY,
  mapUnordered,
  type FileCandidate,
} from '@recsync/framework/internal';
import { EntryChecker, type Checked } from './candidates.js';
import { readLine, type Roots, type Unsafe, type Wanted } from './entries.js';
import type { RawLine } from './lines.js';

/** What a run saw, for `describe()`. */
export interface RunCounts {
  lines: number;
  entries: number;
  duplicates: number;
  refused: number;
  skipped: number;
  missing: number;
}

export function emptyRunCounts(): RunCounts {
  return { lines: 0, entries: 0, duplicates: 0, refused: 0, skipped: 0, missing: 0 };
}

type Work = { readonly line: Wanted | Unsafe; readonly origin: string };

export class JournalRun {
  private readonly seen = new Set<string>();
  private readonly checker: EntryChecker;

  constructor(
    private readonly options: {
      source: string;
      followSymlinks: boolean;
      warn(message: string): void;
    },
    readonly counts: RunCounts,
  ) {
    this.checker = new EntryChecker(options.source, options.followSymlinks);
  }

  /** The candidates named by `lines` of journal file `file`, the first being line `firstLine`. */
  async *candidates(
    file: string,
    firstLine: number,
    lines: readonly RawLine[],
  ): AsyncGenerator<FileCandidate> {
    const roots = await this.roots();
    const work = this.work(file, firstLine, lines, roots);
    for await (const result of mapUnordered(work, JOURNAL_STAT_CONCURRENCY, (w) => this.check(w))) {
      if (result) yield result;
    }
  }

  private async roots(): Promise<Roots> {
    const real = await this.checker.realRoot();
    return real && real !== this.options.source
      ? { source: this.options.source, real }
      : { source: this.options.source };
  }

  /** Parses lines in order, reporting bad ones and dropping repeats. */
  private *work(
    file: string,
    firstLine: number,
    lines: readonly RawLine[],
    roots: Roots,
  ): Generator<Work> {
    for (const [index, raw] of lines.entries()) {
      const origin = `${file}:${firstLine + index}`;
      const line = readLine(raw, roots);
      if (line.kind === 'ignored') continue;
      if (line.kind === 'invalid') {
        // No usable path: refused as an error event naming the line (exit 1).
        yield { line: { kind: 'unsafe', path: '', why: line.why }, origin };
        continue;
      }
      if (line.kind === 'entry') {
        if (this.seen.has(line.path)) {
          this.counts.duplicates++;
          continue;
        }
        this.seen.add(line.path);
        this.counts.entries++;
      }
      yield { line, origin };
    }
  }

  private async check({ line, origin }: Work): Promise<FileCandidate | undefined> {
    if (line.kind === 'unsafe') {
      // Refused as an error event (exit 1); the engine never reads it.
      this.counts.refused++;
      return { kind: 'refused', path: line.path, reason: line.why, origin };
    }
    const checked: Checked = await this.checker.check(line, origin);
    if ('problem' in checked) {
      if (checked.problem === 'refused') {
        this.counts.refused++;
        return {
          kind: 'refused',
          path: line.path,
          reason: checked.why,
          origin,
          ...(checked.code ? { code: checked.code } : {}),
        };
      }
      this.counts.skipped++;
      this.options.warn(`skipped ${origin}: ${line.path} ${checked.why}`);
      return undefined;
    }
    if (checked.kind === 'missing') this.counts.missing++;
    return checked;
  }
}
