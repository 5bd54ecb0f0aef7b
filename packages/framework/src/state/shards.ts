/**
 * What the shards of one job know about each other: only their saved states. There is no
 * coordinator; the scheduler starts the shards and each keeps its own state and lease.
 *
 * - A change of the shard count is detected from the names of the saved states (another N than
 *   this run's) and refused (E_SHARDS_CHANGED, exit 2) with the safe way to migrate: with a new
 *   N most files change shard, and an old shard's cursor covers only its old share.
 * - Something the shards share (the journal's committed segments) is cleaned up only up to the
 *   least advanced shard's cursor, read from every shard's saved state; while a shard's state is
 *   missing, nothing is cleaned up. A strategy that cleans up is refused with N > 1 when the
 *   shards cannot see each other's states (E_SHARDS_UNSAFE).
 */
import type { ResolvedJob } from '../config/resolve.js';
import { RecsyncError } from '../errors.js';
import { parseShardSuffix, type ShardSpec } from '../shard.js';
import type { StrategyInstance } from '../strategy.js';
import {
  listStateNames,
  siblingDocument,
  STATE_ENDING,
  stateName,
  storeWhere,
} from './documents.js';
import { readStateDocument } from './store.js';

/** Every saved state of a job, with the shard it belongs to (null: the job run whole). */
export async function savedShardStates(
  job: ResolvedJob,
): Promise<{ name: string; shard: ShardSpec | null }[]> {
  const out: { name: string; shard: ShardSpec | null }[] = [];
  for (const name of await listStateNames(job)) {
    const shard = parseShardSuffix(name, job.name, STATE_ENDING);
    if (shard !== undefined) out.push({ name, shard });
  }
  return out.sort(
    (a, b) =>
      (a.shard?.count ?? 1) - (b.shard?.count ?? 1) ||
      (a.shard?.index ?? 0) - (b.shard?.index ?? 0),
  );
}

/**
 * Refuses a run whose shard count differs from the saved states' (before anything is read or
 * written), and a cleaning strategy whose shards cannot see each other's states.
 */
export async function checkShards(
  job: ResolvedJob,
  strategy: StrategyInstance<unknown>,
  ownStateExists: boolean,
): Promise<void> {
  const count = job.shard?.count ?? 1;
  const saved = await savedShardStates(job);
  const others = [...new Set(saved.map((s) => s.shard?.count ?? 1).filter((n) => n !== count))];
  if (others.length > 0) throw shardsChanged(job, count, others);
  if (count <= 1 || !strategy.features?.committed) return;
  if (!strategy.features.compareCursors) {
    throw new RecsyncError('E_SHARDS_UNSAFE', {
      message:
        `job "${job.name}": the strategy ${job.strategy.definition.name} cleans up after its ` +
        `cursor, and cannot order the cursors of ${count} shards`,
      hint: 'run the job unsharded, or turn the clean-up off in the strategy options',
    });
  }
  const visible = new Set(saved.map((s) => s.name));
  const missing = siblings(job).filter((name) => !visible.has(name));
  if (ownStateExists && missing.length > 0) {
    throw new RecsyncError('E_SHARDS_UNSAFE', {
      message:
        `job "${job.name}" deletes what its ${count} shards share (committedSegments), but ` +
        `this shard cannot see every shard's state in ${storeWhere(job)}: ` +
        `missing ${missing.join(', ')}. Deleting after this shard's cursor alone would ` +
        'lose lines the others have not read',
      hint:
        'give every shard the same state: a shared stateDir (a ReadWriteMany volume) or ' +
        "state: { store: 's3' }; " +
        "or keep segments (committedSegments: 'keep'); or let the missing shard run once " +
        'if it never did',
    });
  }
}

/**
 * The cursor up to which shared things may be cleaned up: this shard's own when the job is not
 * sharded; else the least advanced of every shard's saved cursor, or undefined while one is
 * missing or unreadable.
 */
export async function sharedCommittedCursor(
  job: ResolvedJob,
  strategy: StrategyInstance<unknown>,
  own: unknown,
): Promise<unknown> {
  if (!job.shard || job.shard.count <= 1) return own;
  const compare = strategy.features?.compareCursors?.bind(strategy.features);
  if (!compare) return undefined;
  let least = own;
  for (const name of siblings(job)) {
    if (name === stateName(job)) continue;
    const state = await readStateDocument(siblingDocument(job, name)).catch(() => undefined);
    const parsed = job.strategy.definition.cursor.safeParse(state?.cursor ?? undefined);
    if (!state || state.cursor == null || !parsed.success) return undefined;
    if (compare.call(strategy, parsed.data, least) < 0) least = parsed.data;
  }
  return least;
}

/** State names of every shard of this run's shard count. */
function siblings(job: ResolvedJob): string[] {
  const count = job.shard?.count ?? 1;
  return Array.from({ length: count }, (_, index) =>
    stateName({ name: job.name, shard: { index, count } }),
  );
}

function shardsChanged(job: ResolvedJob, count: number, others: number[]): RecsyncError {
  const was = others.map((n) => (n === 1 ? 'unsharded' : `${n} shards`)).join(' and ');
  const now = count === 1 ? 'unsharded' : `${count} shards`;
  return new RecsyncError('E_SHARDS_CHANGED', {
    message:
      `job "${job.name}" has saved state for ${was} in ${storeWhere(job)}, and this run is ` +
      `${now}. ` +
      `A file's shard is hash(key) mod N, so with another N most files change shard, while ` +
      `each saved cursor covers only its old shard's share: ` +
      'reusing them would skip files, so nothing was read or written',
    hint:
      `to keep the old layout: run with --shards ${others[0]} (or set shards back).\n` +
      `to change it safely: 1. let every old shard finish a run (exit 0, nothing pending); ` +
      `2. recsync state reset --job ${job.name} (moves every shard's state aside); ` +
      `3. run the new shards: their first run checks the archive from the strategy's start ` +
      '(or --since) and finds what is already in the bucket present, so nothing is uploaded ' +
      'twice',
  });
}
