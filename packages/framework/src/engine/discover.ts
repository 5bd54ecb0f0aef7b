/**
 * Discover: partitions from the strategy, pulled a few ahead of the consumer so their bucket
 * listings run while the current partition is checked (listing prefetch). A partition whose
 * folders are unchanged since its last complete check gets no listing at all (see ./folders.ts).
 * Its files come from the strategy's `files()` when the plan stream reaches it.
 */
import { access } from 'node:fs/promises';
import type { Partition } from '../strategy.js';
import { foldersUnchanged } from './folders.js';
import type { PlanContext } from './plan.js';
import type { PresenceCheck } from './remote-check.js';

export interface Discovered {
  readonly partition: Partition;
  readonly check: PresenceCheck;
  /** Its folders are unchanged since its last complete check: not read, not listed. */
  readonly unchanged: boolean;
}

const NOT_CHECKED: PresenceCheck = { isPresent: async () => false };

/** Partitions with their presence checks, `prefetch` listings ahead of the consumer. */
export async function* discoverPartitions(
  partitions: AsyncIterable<Partition>,
  ctx: PlanContext,
  prefetch: number,
): AsyncGenerator<Discovered> {
  const ahead = Math.max(1, prefetch + 1);
  const window: Discovered[] = [];
  const iterator = partitions[Symbol.asyncIterator]();
  let done = false;
  const fill = async () => {
    while (!done && window.length < ahead) {
      const next = await iterator.next();
      if (next.done) done = true;
      else {
        const p = next.value;
        const record = ctx.records?.byId.get(p.id);
        if (record && (await foldersUnchanged(p.dir, record, ctx.records!.config))) {
          window.push({ partition: p, check: NOT_CHECKED, unchanged: true });
          continue;
        }
        const listPrefix = p.prefix !== undefined ? ctx.job.target.prefix + p.prefix : undefined;
        const eager = await exists(p.dir); // no folder, no files: do not list
        window.push({
          partition: p,
          check: ctx.checker.forPrefix(listPrefix, ctx.signal, { mode: p.remoteCheck, eager }),
          unchanged: false,
        });
      }
    }
  };
  try {
    for (;;) {
      await fill();
      const head = window.shift();
      if (!head) return;
      yield head;
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}

async function exists(dir: string): Promise<boolean> {
  return access(dir).then(
    () => true,
    () => false,
  );
}
