/**
 * The cursor: partial runs, folding, remembered folders, and the guards that keep `advance()`
 * from moving past anything a walk did not cover.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_REMEMBERED_PER_PARTITION,
  comparePartitionIds,
  completeRun,
  cutoffFor,
  initialState,
  markDone,
  mtimeCursorSchema,
  readCursor,
  rememberedFor,
  writeCursor,
} from '@recsync/strategy-mtime/internal';
import { run, subject, tempDir, writeFiles } from './helpers.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('cursor arithmetic', () => {
  it('orders the root partition first, then names by code units', () => {
    expect(['b', 'B', '.', 'a b', 'ä', '-x'].sort(comparePartitionIds)).toEqual([
      '.',
      '-x',
      'B',
      'a b',
      'b',
      'ä',
    ]);
  });

  it('round-trips through JSON and its schema, leaving out what is empty', () => {
    const state = markDone(
      initialState(T0),
      'b',
      T0 + H,
      new Map([
        ['b/x', T0],
        ['b/y', -Infinity],
      ]),
    );
    const cursor = writeCursor(state);
    expect(cursor).toEqual({
      cutoff: iso(T0),
      partial: [{ through: 'b', cutoff: iso(T0 + H) }],
      unreadable: [{ dir: 'b/x', cutoff: iso(T0) }, { dir: 'b/y' }],
    });
    expect(mtimeCursorSchema.parse(JSON.parse(JSON.stringify(cursor)))).toEqual(cursor);
    expect(readCursor(cursor)).toEqual(state);
    expect(writeCursor(initialState(-Infinity))).toEqual({});
  });

  it('walks partitions up to a partial entry with its cutoff, the rest with the base', () => {
    const state = readCursor({
      cutoff: iso(T0),
      partial: [
        { through: 'b', cutoff: iso(T0 + 2 * H) },
        { through: 'd', cutoff: iso(T0 + H) },
      ],
    });
    expect(['.', 'a', 'b', 'c', 'd', 'e'].map((id) => cutoffFor(state, id) - T0)).toEqual([
      2 * H,
      2 * H,
      2 * H,
      H,
      H,
      0,
    ]);
  });

  it(
    'a run that stops part-way keeps what it did; a complete run folds everything into one ' +
      'cutoff',
    () => {
      let state = initialState(T0);
      state = markDone(state, '.', T0 + H, new Map());
      state = markDone(state, 'a', T0 + H, new Map());
      expect(writeCursor(state)).toEqual({
        cutoff: iso(T0),
        partial: [{ through: 'a', cutoff: iso(T0 + H) }],
      });
      // the next run stops even earlier: both entries are needed
      state = markDone(state, '.', T0 + 2 * H, new Map());
      expect(state.partial).toEqual([
        { through: '.', cutoff: T0 + 2 * H },
        { through: 'a', cutoff: T0 + H },
      ]);
      // the one after goes further: it covers both
      for (const id of ['.', 'a', 'b']) state = markDone(state, id, T0 + 3 * H, new Map());
      expect(state.partial).toEqual([{ through: 'b', cutoff: T0 + 3 * H }]);
      state = completeRun(state, T0 + 3 * H, new Set(['.', 'a', 'b']));
      expect(writeCursor(state)).toEqual({ cutoff: iso(T0 + 3 * H) });
    },
  );

  it('never moves backwards: an older run cutoff changes nothing', () => {
    const state = readCursor({
      cutoff: iso(T0 + H),
      partial: [{ through: 'm', cutoff: iso(T0 + 2 * H) }],
    });
    expect(markDone(state, 'a', T0, new Map())).toEqual(state);
    expect(completeRun(state, T0, new Set(['a', 'm']))).toEqual(state);
  });

  it(
    'a done partition replaces what it remembered; a complete run forgets partitions that ' +
      'are gone',
    () => {
      let state = readCursor({
        cutoff: iso(T0),
        unreadable: [
          { dir: 'a/x', cutoff: iso(T0 - H) },
          { dir: 'gone/y', cutoff: iso(T0) },
          { dir: 'b' },
        ],
      });
      expect(rememberedFor(state, 'a')).toEqual(new Map([['a/x', T0 - H]]));
      state = markDone(state, 'a', T0 + H, new Map([['a/z', T0]]));
      expect([...state.unreadable.keys()].sort()).toEqual(['a/z', 'b', 'gone/y']);
      state = completeRun(state, T0 + H, new Set(['a', 'b']));
      expect(writeCursor(state).unreadable).toEqual([
        { dir: 'a/z', cutoff: iso(T0) },
        { dir: 'b' },
      ]);
    },
  );

  it(
    'bounds the cursor: too many unreadable folders in a partition become the partition ' +
      'itself',
    () => {
      const many = new Map(
        Array.from(
          { length: MAX_REMEMBERED_PER_PARTITION + 1 },
          (_, i) => [`p/d${i}`, T0 + i] as const,
        ),
      );
      const state = markDone(initialState(T0), 'p', T0 + H, many);
      expect(writeCursor(state).unreadable).toEqual([{ dir: 'p', cutoff: iso(T0) }]);
    },
  );
});

describe('advance() over real runs', () => {
  const NOW = Date.parse('2030-06-01T12:00:00Z');
  const BASE = NOW - 10 * 86_400_000;

  async function archive() {
    const root = await tempDir();
    // ctimes are real (long before NOW); mtimes decide.
    await writeFiles(root, {
      'top.txt': new Date(BASE - 1000),
      'a/1.mp4': new Date(NOW - 5 * 86_400_000),
      'b/2.mp4': new Date(NOW - 5 * 86_400_000),
      'c/3.mp4': new Date(NOW - 5 * 86_400_000),
    });
    return root;
  }

  it(
    'after a run stopped part-way, the next run re-reads only the partitions it did not ' +
      'finish',
    async () => {
      const root = await archive();
      const { instance } = subject({}, root);
      const ids: string[] = [];
      let cursor = writeCursor(initialState(BASE));
      for await (const partition of instance.partitions({
        now: new Date(NOW),
        cursor,
        signal: new AbortController().signal,
      })) {
        ids.push(partition.id);
        for await (const _ of partition.files());
        // 'c' never finishes its uploads
        if (partition.id !== 'c') cursor = instance.advance(cursor, partition)!;
      }
      expect(ids).toEqual(['.', 'a', 'b', 'c']);
      expect(cursor).toEqual({
        cutoff: iso(BASE),
        partial: [{ through: 'b', cutoff: iso(NOW - 5000) }],
      });

      const next = await run(subject({}, root).instance, { now: NOW + 60_000, cursor });
      expect(next.paths).toEqual(['c/3.mp4']);
      expect(next.cursor).toEqual({ cutoff: iso(NOW + 55_000) });
    },
  );

  it(
    'does not move for a partition whose walk did not finish, out of order, or in a --since ' +
      'run',
    async () => {
      const root = await archive();
      const { instance } = subject({}, root);
      const cursor = writeCursor(initialState(BASE));
      const partitions = [];
      for await (const p of instance.partitions({
        now: new Date(NOW),
        cursor,
        signal: new AbortController().signal,
      }))
        partitions.push(p);
      const [rootFiles, , b] = partitions;
      expect(instance.advance(cursor, rootFiles!)).toEqual(cursor); // never walked
      for await (const _ of b!.files());
      expect(instance.advance(cursor, b!)).toEqual(cursor); // walked, but '.' and 'a' are not done
      for await (const _ of rootFiles!.files());
      expect(instance.advance(cursor, rootFiles!)).toEqual({
        cutoff: iso(BASE),
        partial: [{ through: '.', cutoff: iso(NOW - 5000) }],
      });

      const ranged = await run(subject({}, root).instance, {
        now: NOW,
        cursor,
        range: { since: '30d' },
      });
      expect(ranged.paths).toEqual(['a/1.mp4', 'b/2.mp4', 'c/3.mp4', 'top.txt']);
      expect(ranged.cursor).toEqual(cursor);
    },
  );

  it(
    'stops at once when its signal is aborted, and the partition cut short does not count as ' +
      'walked',
    async () => {
      const root = await archive();
      const { instance } = subject({}, root);
      const controller = new AbortController();
      const cursor = writeCursor(initialState(-Infinity));
      for await (const partition of instance.partitions({
        now: new Date(NOW),
        cursor,
        signal: controller.signal,
      })) {
        controller.abort();
        for await (const _ of partition.files())
          expect.unreachable('an aborted walk yields nothing');
        expect(instance.advance(cursor, partition)).toEqual(cursor);
      }
    },
  );
});
