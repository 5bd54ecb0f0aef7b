/**
 * The cursor's arithmetic: which cutoff each partition is walked with, and how a done partition
 * moves the cursor. Pure functions over {@link CursorState} (times as numbers, -Infinity meaning
 * "everything").
 *
 * Why partial entries: the engine asks for the next cursor after each done partition, in
 * partition order, but a run can stop part-way (interrupted, a failing partition). A single
 * cutoff could then only stay where it was, and every later run would walk from there. Instead
 * each done partition records "everything through this partition id was walked with this run's
 * cutoff"; once the last partition of a run is done, the entries fold into one cutoff.
 *
 * Guarantees:
 * - A partition's cutoff never moves past a time a walk of it did not cover: a partial entry is
 *   only added for a partition whose walk finished, after every earlier partition of the run.
 * - The cursor never moves backwards: cutoffs only grow, and entries that a newer one covers
 *   are dropped, so the list stays short (one entry per run that stopped earlier than the last).
 * - A top-level folder that appears later may sort before a partial entry's `through` and so
 *   get its newer cutoff: that is safe, because it appeared after that run listed the root, so
 *   its own ctime (a move) or its files' times (new files) are after that run's cutoff.
 *
 * The saved form is {@link MtimeCursor} (see ./options.ts).
 */
import type { MtimeCursor } from './options.js';

/** The partition of the files directly in the source root; it sorts first. */
export const ROOT_PARTITION = '.';

/** More remembered folders than this in one partition collapse into the partition's own folder. */
export const MAX_REMEMBERED_PER_PARTITION = 100;

export interface PartialEntry {
  readonly through: string;
  readonly cutoff: number;
}

export interface CursorState {
  readonly base: number;
  /** Ascending by `through`, cutoffs strictly decreasing, every cutoff above `base`. */
  readonly partial: readonly PartialEntry[];
  /** Folder (relative, `.` = root) → the cutoff it missed. */
  readonly unreadable: ReadonlyMap<string, number>;
}

/** Partition order: the root's files first, then top-level folder names by UTF-16 code units. */
export function comparePartitionIds(a: string, b: string): number {
  if (a === b) return 0;
  if (a === ROOT_PARTITION) return -1;
  if (b === ROOT_PARTITION) return 1;
  return a < b ? -1 : 1;
}

/** The partition a folder belongs to: its first segment, or the root's. */
export function partitionOfDir(dir: string): string {
  return dir === ROOT_PARTITION ? ROOT_PARTITION : dir.split('/')[0]!;
}

export function initialState(base: number): CursorState {
  return { base, partial: [], unreadable: new Map() };
}

export function readCursor(cursor: MtimeCursor): CursorState {
  const base = cursor.cutoff === undefined ? -Infinity : Date.parse(cursor.cutoff);
  const partial = normalize(
    (cursor.partial ?? []).map((p) => ({ through: p.through, cutoff: Date.parse(p.cutoff) })),
    base,
  );
  const unreadable = new Map(
    (cursor.unreadable ?? []).map((u) => [
      u.dir,
      u.cutoff === undefined ? -Infinity : Date.parse(u.cutoff),
    ]),
  );
  return { base, partial, unreadable };
}

export function writeCursor(state: CursorState): MtimeCursor {
  const iso = (ms: number) => new Date(ms).toISOString();
  const unreadable = [...state.unreadable]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dir, cutoff]) => (cutoff === -Infinity ? { dir } : { dir, cutoff: iso(cutoff) }));
  return {
    ...(state.base === -Infinity ? {} : { cutoff: iso(state.base) }),
    ...(state.partial.length > 0
      ? { partial: state.partial.map((p) => ({ through: p.through, cutoff: iso(p.cutoff) })) }
      : {}),
    ...(unreadable.length > 0 ? { unreadable } : {}),
  };
}

/** The cutoff partition `id` is walked with: the newest that covers it. */
export function cutoffFor(state: CursorState, id: string): number {
  let cutoff = state.base;
  for (const entry of state.partial)
    if (comparePartitionIds(entry.through, id) >= 0) cutoff = Math.max(cutoff, entry.cutoff);
  return cutoff;
}

/** The remembered unreadable folders of partition `id`. */
export function rememberedFor(state: CursorState, id: string): Map<string, number> {
  return new Map([...state.unreadable].filter(([dir]) => partitionOfDir(dir) === id));
}

/**
 * Partition `id` was walked to the end with `runCutoff`, after every earlier partition of the
 * run; `remembered` is what it must remember as unreadable (replacing what it remembered).
 */
export function markDone(
  state: CursorState,
  id: string,
  runCutoff: number,
  remembered: ReadonlyMap<string, number>,
): CursorState {
  const partial =
    runCutoff > cutoffFor(state, id)
      ? normalize([...state.partial, { through: id, cutoff: runCutoff }], state.base)
      : state.partial;
  const unreadable = new Map([...state.unreadable].filter(([dir]) => partitionOfDir(dir) !== id));
  for (const [dir, cutoff] of capRemembered(id, remembered)) unreadable.set(dir, cutoff);
  return { base: state.base, partial, unreadable };
}

/**
 * Every partition of the run (`ids`) is done: the run's cutoff becomes the base, and folders
 * remembered for partitions that no longer exist are forgotten (their files are gone, or moved
 * elsewhere, where the move makes them candidates).
 */
export function completeRun(
  state: CursorState,
  runCutoff: number,
  ids: ReadonlySet<string>,
): CursorState {
  const base = Math.max(state.base, runCutoff);
  const unreadable = new Map([...state.unreadable].filter(([dir]) => ids.has(partitionOfDir(dir))));
  return { base, partial: normalize(state.partial, base), unreadable };
}

/**
 * Drops entries that another entry reaching at least as far, with a cutoff at least as new, covers.
 */
function normalize(entries: readonly PartialEntry[], base: number): PartialEntry[] {
  const byReachDescending = [...entries].sort(
    (a, b) => comparePartitionIds(b.through, a.through) || b.cutoff - a.cutoff,
  );
  const kept: PartialEntry[] = [];
  let newest = base;
  for (const entry of byReachDescending) {
    if (entry.cutoff <= newest) continue;
    kept.push(entry);
    newest = entry.cutoff;
  }
  return kept.reverse();
}

/**
 * Bounds the cursor: past the limit, the whole partition is walked again with the oldest missed
 * cutoff.
 */
function capRemembered(
  id: string,
  remembered: ReadonlyMap<string, number>,
): ReadonlyMap<string, number> {
  if (remembered.size <= MAX_REMEMBERED_PER_PARTITION) return remembered;
  return new Map([[id, Math.min(...remembered.values())]]);
}
