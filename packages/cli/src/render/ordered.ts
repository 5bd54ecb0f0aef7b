/**
 * Keeps per-file and per-partition lines in partition order. Uploads of one partition can
 * finish after the next partition's first files (the pool runs ahead), so lines of a partition
 * other than the oldest unfinished one wait until every partition before it is finished.
 * Waiting lines are bounded by the upload concurrency and the listing prefetch, never by the
 * size of a partition: the oldest unfinished partition's lines are printed at once.
 */
import type { Write } from './lines.js';

interface Entry {
  readonly id: string;
  lines: string[];
  finished: boolean;
}

export class OrderedLines {
  private readonly entries: Entry[] = [];

  constructor(private readonly write: Write) {}

  /** A partition starts (in stream order). Unknown ids seen in {@link line} are added too. */
  open(id: string): void {
    if (!this.find(id)) this.entries.push({ id, lines: [], finished: false });
  }

  line(id: string, text: string): void {
    this.open(id);
    if (this.entries[0].id === id) this.write(text);
    else this.find(id)!.lines.push(text);
  }

  /** The partition has nothing more to say; later partitions' lines may follow. */
  finish(id: string): void {
    this.open(id);
    this.find(id)!.finished = true;
    this.drain();
  }

  /** Prints whatever waits (end of the run, interrupted or not). */
  flush(): void {
    for (const entry of this.entries) for (const text of entry.lines) this.write(text);
    this.entries.length = 0;
  }

  private drain(): void {
    while (this.entries.length > 0 && this.entries[0].finished) {
      this.entries.shift();
      const next = this.entries[0];
      if (!next) return;
      for (const text of next.lines) this.write(text);
      next.lines = [];
    }
  }

  private find(id: string): Entry | undefined {
    return this.entries.find((e) => e.id === id);
  }
}
