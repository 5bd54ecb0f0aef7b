/**
 * Drives a strategy instance the way the engine does, without the engine: pulls the partitions
 * of one run in order, walks each one's files, then moves the cursor over the longest prefix of
 * closed partitions (an open partition holds it, as in the engine), and passes the cursor
 * through JSON as a saved state would. A `range` run never moves the cursor.
 *
 *   const first = await runStrategy(instance, { now: '2026-11-25T12:00:00Z' });
 *   const second = await runStrategy(instance, { now: later, cursor: first.cursor });
 */
import type { DonePartition, Partition, RangeRequest, StrategyInstance } from '../strategy.js';

/** What a partition's `files()` yields. */
export type YieldedFile = Partition['files'] extends (...args: never[]) => AsyncIterable<infer F>
  ? F
  : never;

export interface StrategyRunRequest<C> {
  /** The run's clock. */
  readonly now: Date | string | number;
  readonly cursor?: C;
  readonly range?: RangeRequest;
  readonly signal?: AbortSignal;
  /** Walk each partition's files (default true); false pulls partitions only. */
  readonly files?: boolean;
}

export interface DrivenPartition {
  readonly partition: Partition;
  /** The partition's files, in the order it yielded them (empty with `files: false`). */
  readonly files: YieldedFile[];
}

export interface StrategyRun<C> {
  /** Every partition with its files, in the order the strategy yielded them. */
  readonly partitions: DrivenPartition[];
  readonly ids: string[];
  /** Every file of the run, in yield order. */
  readonly files: YieldedFile[];
  /** The relative paths of every file, sorted. */
  readonly paths: string[];
  /** The cursor after the run, as the next run would load it. */
  readonly cursor: C | undefined;
}

/** The cursor after `partitions` are done, in order: it stops at the first open partition. */
export function advanceCursor<C>(
  instance: StrategyInstance<C>,
  cursor: C | undefined,
  partitions: readonly DonePartition[],
): C | undefined {
  let current = cursor;
  for (const partition of partitions) {
    if (!partition.closed) break;
    current = instance.advance(current, {
      id: partition.id,
      closed: partition.closed,
      recheck: partition.recheck,
    });
  }
  return current;
}

/** One run of `instance`: see the module comment. */
export async function runStrategy<C>(
  instance: StrategyInstance<C>,
  request: StrategyRunRequest<C>,
): Promise<StrategyRun<C>> {
  const partitions: DrivenPartition[] = [];
  for await (const partition of instance.partitions({
    now: new Date(request.now),
    cursor: request.cursor,
    range: request.range,
    signal: request.signal ?? new AbortController().signal,
  })) {
    const files: YieldedFile[] = [];
    if (request.files !== false) for await (const file of partition.files()) files.push(file);
    partitions.push({ partition, files });
  }
  const advanced = request.range
    ? request.cursor
    : advanceCursor(
        instance,
        request.cursor,
        partitions.map((p) => p.partition),
      );
  const files = partitions.flatMap((p) => p.files);
  return {
    partitions,
    ids: partitions.map((p) => p.partition.id),
    files,
    paths: files.map((f) => f.path).sort(),
    cursor: advanced === undefined ? undefined : JSON.parse(JSON.stringify(advanced)),
  };
}
