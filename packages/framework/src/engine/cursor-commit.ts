/**
 * The cursor commit: tracks when partitions are done and how far the cursor may move (the cursor
 * contract).
 *
 * A partition is done when its listing ended (the plan stream passed its `partitionEnd`) and
 * every file it yielded has a final outcome. The cursor moves over the longest prefix of done,
 * complete, closed partitions in partition order: a slow, failing or open partition holds it.
 */
import type { PartitionInfo } from '../hooks.js';
import type { StrategyInstance } from '../strategy.js';
import { emptyCounts, addTo, type FileOutcome, type OutcomeCounts } from '../events.js';

interface Entry {
  readonly info: PartitionInfo;
  added: number;
  settled: number;
  ended: boolean;
  done: boolean;
  error?: { code: string; message: string };
  readonly counts: OutcomeCounts;
}

export interface DoneEvent {
  readonly info: PartitionInfo;
  readonly complete: boolean;
  readonly counts: OutcomeCounts;
  readonly error?: { code: string; message: string };
  /** True when this completion moved the cursor. */
  readonly cursorMoved: boolean;
}

export class CursorCommit {
  private readonly entries: Entry[] = [];
  private frontier = 0;
  private blocked = false;
  cursor: unknown;

  constructor(
    private readonly strategy: StrategyInstance<unknown>,
    cursor: unknown,
    /** False for `--since/--until` runs: the cursor never moves. */
    private readonly advances: boolean,
  ) {
    this.cursor = cursor;
  }

  /** Registers a partition; call in stream order, before any of its files. */
  open(info: PartitionInfo): void {
    if (info.index < 0) return;
    this.entries[info.index] = {
      info,
      added: 0,
      settled: 0,
      ended: false,
      done: false,
      counts: emptyCounts(),
    };
  }

  /** A file of the partition entered the pipeline (call in stream order). */
  add(index: number): void {
    if (index >= 0) this.entries[index].added++;
  }

  /** The partition's listing ended; `error` when it could not be fully read. */
  end(index: number, error?: { code: string; message: string }): DoneEvent | undefined {
    if (index < 0) return undefined;
    const entry = this.entries[index];
    entry.ended = true;
    entry.error = error;
    return this.check(entry);
  }

  /** A file got its final outcome. */
  settle(index: number, outcome: FileOutcome, bytes: number): DoneEvent | undefined {
    if (index < 0) return undefined;
    const entry = this.entries[index];
    entry.settled++;
    addTo(entry.counts, outcome, bytes);
    return this.check(entry);
  }

  /** Partitions seen, and how many were done and complete. */
  summary(): { total: number; complete: number } {
    const seen = this.entries.filter(Boolean);
    return { total: seen.length, complete: seen.filter((e) => e.done && !e.error).length };
  }

  /** Partitions registered but never done (the run stopped early). */
  unfinished(): PartitionInfo[] {
    return this.entries.filter((e) => e && !e.done).map((e) => e.info);
  }

  private check(entry: Entry): DoneEvent | undefined {
    if (entry.done || !entry.ended || entry.settled < entry.added) return undefined;
    entry.done = true;
    const before = this.cursor;
    this.moveFrontier();
    return {
      info: entry.info,
      complete: !entry.error,
      counts: entry.counts,
      ...(entry.error ? { error: entry.error } : {}),
      cursorMoved: before !== this.cursor,
    };
  }

  private moveFrontier(): void {
    while (this.advances && !this.blocked) {
      const entry = this.entries[this.frontier];
      if (!entry?.done) return;
      if (entry.error || !entry.info.closed) {
        this.blocked = true; // nothing after an incomplete or open partition may count
        return;
      }
      this.cursor = this.strategy.advance(this.cursor, {
        id: entry.info.id,
        closed: entry.info.closed,
        recheck: entry.info.recheck,
      });
      this.frontier++;
    }
  }
}
