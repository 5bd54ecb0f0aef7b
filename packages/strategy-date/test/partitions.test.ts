import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecsyncError, type Partition, type RangeRequest } from '@recsync/framework';
import type { DateCursor, DateFoldersOptions } from '../src/internal.js';
import { collect, harness, ids, tree } from './helpers.js';

const NOON = '2026-11-25T12:00:00Z';
const utcDaily = { timezone: 'UTC', grace: '1h' } as const;

/** A partition in one word or three: its id, then "recheck" or "open" when it is one. */
const described = (p: { id: string; closed: boolean; recheck: boolean }) =>
  [p.id, p.recheck && 'recheck', !p.closed && 'open'].filter(Boolean).join(' ');

describe('which partitions a run selects', () => {
  const cases: {
    name: string;
    options: DateFoldersOptions;
    now?: string;
    cursor?: DateCursor;
    range?: RangeRequest;
    expected: string[];
  }[] = [
    {
      name: 'a first run starts at `start` and runs through the current period, which stays open',
      options: { ...utcDaily, start: '2026-11-22' },
      expected: ['2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25 open'],
    },
    {
      name: 'a first run yields nothing from a source that does not exist yet',
      options: utcDaily,
      expected: [],
    },
    {
      name: 'a first run never yields a future period, even when `start` is in the future',
      options: { ...utcDaily, start: '2026-12-01' },
      expected: [],
    },
    {
      name: 'a later run catches up on missed days: everything after the cursor, through today',
      options: { ...utcDaily, lookback: 0 },
      cursor: { through: '2026-11-21' },
      expected: ['2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25 open'],
    },
    {
      name: 'a later run re-checks exactly the last `lookback` completed periods',
      options: { ...utcDaily, lookback: 2 },
      cursor: { through: '2026-11-24' },
      expected: ['2026-11-23 recheck', '2026-11-24 recheck', '2026-11-25 open'],
    },
    {
      name: 'a later run combines look-back and catch-up',
      options: { ...utcDaily, lookback: 2 },
      cursor: { through: '2026-11-21' },
      expected: [
        '2026-11-20 recheck',
        '2026-11-21 recheck',
        '2026-11-22',
        '2026-11-23',
        '2026-11-24',
        '2026-11-25 open',
      ],
    },
    {
      name: 'a cursor from the future yields nothing newer than the current period',
      options: { ...utcDaily, lookback: 2 },
      cursor: { through: '2026-12-05' },
      expected: [],
    },
    {
      name: '--since/--until select since..until inclusive and ignore the cursor',
      options: utcDaily,
      cursor: { through: '2026-11-24' },
      range: { since: '2026-11-01', until: '2026-11-03' },
      expected: ['2026-11-01', '2026-11-02', '2026-11-03'],
    },
    {
      name: 'an hourly layout selects hours, and look-back counts hours',
      options: { layout: '{yyyy}-{MM}-{dd}/{HH}', timezone: 'UTC', grace: 0, lookback: 2 },
      now: '2026-11-26T00:30:00Z',
      cursor: { through: '2026-11-25T21' },
      expected: [
        '2026-11-25/20 recheck',
        '2026-11-25/21 recheck',
        '2026-11-25/22',
        '2026-11-25/23',
        '2026-11-26/00 open',
      ],
    },
    {
      name: 'months close at the start of the next month',
      options: { layout: '{yyyy}/{MM}', timezone: 'UTC', grace: 0, lookback: 1 },
      now: '2026-12-01T00:00:00Z',
      cursor: { through: '2026-10' },
      expected: ['2026/10 recheck', '2026/11', '2026/12 open'],
    },
  ];

  it.each(cases)('$name', async ({ options, now = NOON, cursor, range, expected }) => {
    const { instance } = harness(options);
    expect((await collect(instance, { now, cursor, range })).summary.map(described)).toEqual(
      expected,
    );
  });
});

describe('first run', () => {
  it('starts at the oldest folder found when there is no `start`', async () => {
    const source = await tree({
      dirs: ['2026-11-24', '2026-11-22', 'notes', '2026-11-23-old'],
      files: ['README.txt'],
    });
    const { instance } = harness(utcDaily, source);
    expect(await ids(instance, { now: NOON })).toEqual([
      '2026-11-22',
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
    ]);
  });

  it('yields nothing when no folder fits and there is no `start`', async () => {
    const source = await tree({ dirs: ['notes'] });
    const { instance, warnings } = harness(utcDaily, source);
    expect(await ids(instance, { now: NOON })).toEqual([]);
    expect(warnings.join()).toMatch(
      /1 entry in .* do not fit layout "\{yyyy\}-\{MM\}-\{dd\}" .*e\.g\. notes/,
    );
  });
});

describe('later runs', () => {
  it('keeps yesterday open within the grace time', async () => {
    const { instance } = harness({ ...utcDaily, lookback: 0 });
    const yesterday = async (now: string) =>
      (await collect(instance, { now, cursor: { through: '2026-11-23' } })).summary.find(
        (p) => p.id === '2026-11-24',
      );
    expect(await yesterday('2026-11-25T00:30:00Z')).toEqual({
      id: '2026-11-24',
      closed: false,
      recheck: false,
    });
    expect((await yesterday('2026-11-25T01:00:00Z'))?.closed).toBe(true);
  });

  it('never looks back before year 1', async () => {
    const { instance } = harness({ layout: '{yyyy}', timezone: 'UTC', lookback: 5000 });
    const got = await ids(instance, { now: NOON, cursor: { through: '2025' } });
    expect(got[0]).toBe('0001');
    expect(got.at(-1)).toBe('2026');
    expect(got).toHaveLength(2026);
  });

  it('refuses a saved cursor of another granularity', async () => {
    const { instance } = harness({ ...utcDaily, layout: '{yyyy}-{MM}-{dd}/{HH}' });
    const error = await ids(instance, { now: NOON, cursor: { through: '2026-11-24' } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RecsyncError);
    expect((error as RecsyncError).code).toBe('E_STATE_MISMATCH');
    expect((error as RecsyncError).message).toMatch(
      /the saved cursor "2026-11-24" does not name one hour \(like "2026-11-25T13"\)/,
    );
  });

  it('stops yielding when the run is aborted', async () => {
    const { instance } = harness({ ...utcDaily, start: '2020-01-01' });
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const partition of instance.partitions({
      now: new Date(NOON),
      cursor: undefined,
      signal: controller.signal,
    })) {
      seen.push(partition.id);
      if (seen.length === 2) controller.abort();
    }
    expect(seen).toEqual(['2020-01-01', '2020-01-02']);
  });
});

describe('--since/--until', () => {
  const range = async (
    since: string | undefined,
    until: string | undefined,
    extra: object = {},
  ) => {
    const { instance } = harness({ ...utcDaily, ...extra });
    return ids(instance, { now: NOON, cursor: { through: '2026-11-24' }, range: { since, until } });
  };

  it('runs through the current period without --until, and cuts a future --until', async () => {
    expect(await range('2026-11-23', undefined)).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
    ]);
    expect(await range('2026-11-24', '2027-01-01')).toEqual(['2026-11-24', '2026-11-25']);
  });

  it('takes `start`, else the oldest folder, for a missing --since', async () => {
    expect(await range(undefined, '2026-11-02', { start: '2026-10-31' })).toEqual([
      '2026-10-31',
      '2026-11-01',
      '2026-11-02',
    ]);
    const source = await tree({ dirs: ['2026-11-20', '2026-11-23'] });
    const { instance } = harness(utcDaily, source);
    expect(await ids(instance, { now: NOON, range: { until: '2026-11-21' } })).toEqual([
      '2026-11-20',
      '2026-11-21',
    ]);
  });

  it('reads a month as all its days', async () => {
    expect(await range('2026-02', '2026-02')).toHaveLength(28);
  });

  it.each([
    ['2026-13-01', undefined, /--since "2026-13-01" is not a date/],
    [undefined, 'last tuesday', /--until "last tuesday" is not a date/],
    ['2026-11-05', '2026-11-01', /--since 2026-11-05 is after --until 2026-11-01/],
    ['2026-12-01', undefined, /--since 2026-12-01 is after the current period 2026-11-25/],
  ])('refuses since=%j until=%j as a usage error', async (since, until, message) => {
    const error = await range(since, until).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecsyncError);
    expect((error as RecsyncError).code).toBe('E_USAGE');
    expect((error as RecsyncError).exitCode).toBe(2);
    expect((error as RecsyncError).message).toMatch(message);
    expect((error as RecsyncError).hint).toBeTruthy();
  });
});

describe('other layouts', () => {
  it('gives hourly partitions their folder as dir and key prefix', async () => {
    const source = '/archive';
    const { instance } = harness(
      { layout: '{yyyy}-{MM}-{dd}/{HH}', timezone: 'UTC', grace: 0, lookback: 2 },
      source,
    );
    const { partitions } = await collect(instance, {
      now: '2026-11-26T00:30:00Z',
      cursor: { through: '2026-11-25T21' },
    });
    expect(partitions[0]).toMatchObject({
      dir: path.join(source, '2026-11-25', '20'),
      prefix: '2026-11-25/20/',
    });
  });

  it('selects hours of a range given as date-hours and dates', async () => {
    const { instance } = harness({ layout: '{yyyy}{MM}{dd}{HH}', timezone: 'UTC' });
    const got = await ids(instance, {
      now: '2026-11-27T00:00:00Z',
      range: { since: '2026-11-25T22', until: '2026-11-26' },
    });
    expect(got).toHaveLength(2 + 24);
    expect(got.slice(0, 3)).toEqual(['2026112522', '2026112523', '2026112600']);
    expect(got.at(-1)).toBe('2026112623');
  });

  it('uses nested folders as ids, dirs and key prefixes', async () => {
    const { instance } = harness(
      { layout: '{yyyy}/{MM}/{dd}', timezone: 'UTC', lookback: 0 },
      '/archive',
    );
    const { partitions } = await collect(instance, {
      now: NOON,
      cursor: { through: '2026-11-24' },
    });
    expect(partitions.map((p) => [p.id, p.dir, p.prefix])).toEqual([
      ['2026/11/25', path.join('/archive', '2026', '11', '25'), '2026/11/25/'],
    ]);
  });
});

describe('advance', () => {
  const { instance } = harness({ ...utcDaily, lookback: 2 });
  const partition = (id: string, closed = true, recheck = false): Partition => ({
    id,
    dir: `/x/${id}`,
    closed,
    recheck,
    files: async function* () {},
  });

  it('moves to the partition period and never backwards', () => {
    expect(instance.advance(undefined, partition('2026-11-23'))).toEqual({ through: '2026-11-23' });
    expect(
      instance.advance({ through: '2026-11-24' }, partition('2026-11-23', true, true)),
    ).toEqual({ through: '2026-11-24' });
    expect(
      instance.advance({ through: '2026-11-24' }, partition('2026-11-24', true, true)),
    ).toEqual({ through: '2026-11-24' });
    expect(instance.advance({ through: '2026-11-24' }, partition('2026-11-25'))).toEqual({
      through: '2026-11-25',
    });
  });

  it('leaves the cursor alone for an open partition', () => {
    expect(instance.advance({ through: '2026-11-24' }, partition('2026-11-25', false))).toEqual({
      through: '2026-11-24',
    });
    expect(instance.advance(undefined, partition('2026-11-25', false))).toBeUndefined();
  });

  it('folds a whole run into the newest closed period', async () => {
    const { partitions } = await collect(instance, {
      now: NOON,
      cursor: { through: '2026-11-21' },
    });
    const closed = partitions.filter((p) => p.closed);
    const cursor = closed.reduce<{ through: string } | undefined>(
      (c, p) => instance.advance(c, p),
      { through: '2026-11-21' },
    );
    expect(cursor).toEqual({ through: '2026-11-24' });
  });

  it('refuses a partition that does not fit the layout', () => {
    expect(() => instance.advance(undefined, partition('2026/11/23'))).toThrow(
      /does not fit layout/,
    );
  });
});
