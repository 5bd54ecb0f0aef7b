import { describe, expect, it } from 'vitest';
import { CursorCommit } from '../src/engine/cursor-commit.js';
import type { PartitionInfo, StrategyInstance } from '../src/index.js';

/** A strategy whose cursor is the id of the last done partition. */
const strategy: StrategyInstance<string> = {
  partitions: async function* () {},
  advance: (cursor, p) => (cursor === undefined || p.id > cursor ? p.id : cursor),
};

const info = (index: number, id: string, extra: Partial<PartitionInfo> = {}): PartitionInfo => ({
  job: 'j',
  index,
  id,
  closed: true,
  recheck: false,
  ...extra,
});

describe('cursor over the longest prefix of done partitions', () => {
  it('waits for a slow earlier partition before moving past a finished later one', () => {
    const commit = new CursorCommit(strategy as StrategyInstance<unknown>, 'd0', true);
    commit.open(info(0, 'd1'));
    commit.add(0);
    commit.end(0);
    commit.open(info(1, 'd2'));
    commit.end(1);
    expect(commit.cursor).toBe('d0'); // d2 is done, d1 still has a file in flight
    const event = commit.settle(0, 'uploaded', 10);
    expect(event?.cursorMoved).toBe(true);
    expect(commit.cursor).toBe('d2');
  });

  it('never moves past a partition that could not be fully listed, nor past an open one', () => {
    const commit = new CursorCommit(strategy as StrategyInstance<unknown>, undefined, true);
    commit.open(info(0, 'd1'));
    commit.end(0);
    commit.open(info(1, 'd2'));
    expect(commit.end(1, { code: 'E_WALK_INCOMPLETE', message: 'x' })?.complete).toBe(false);
    commit.open(info(2, 'd3'));
    commit.end(2);
    expect(commit.cursor).toBe('d1');
    const open = new CursorCommit(strategy as StrategyInstance<unknown>, undefined, true);
    open.open(info(0, 'today', { closed: false }));
    open.end(0);
    expect(open.cursor).toBeUndefined();
  });

  it('counts pending outcomes as final: a failed file does not hold the cursor', () => {
    const commit = new CursorCommit(strategy as StrategyInstance<unknown>, undefined, true);
    commit.open(info(0, 'd1'));
    commit.add(0);
    commit.add(0);
    commit.end(0);
    commit.settle(0, 'failed', 1);
    expect(commit.cursor).toBeUndefined();
    const done = commit.settle(0, 'deferred', 1);
    expect(done?.counts.failed.files).toBe(1);
    expect(commit.cursor).toBe('d1');
  });

  it('does not move in a range run, and reports unfinished partitions', () => {
    const commit = new CursorCommit(strategy as StrategyInstance<unknown>, 'd0', false);
    commit.open(info(0, 'd5'));
    commit.end(0);
    commit.open(info(1, 'd6'));
    commit.add(1);
    expect(commit.cursor).toBe('d0');
    expect(commit.unfinished().map((p) => p.id)).toEqual(['d6']);
    expect(commit.summary()).toEqual({ total: 2, complete: 1 });
  });
});
