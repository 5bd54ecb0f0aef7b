import { describe, expect, it } from 'vitest';
import {
  comparePeriods,
  firstCoveredPeriod,
  lastCoveredPeriod,
  makePeriod,
  nextPeriod,
  parseDateInput,
  compileLayout,
  parsePeriodKey,
  periodClosesAt,
  periodContaining,
  periodKey,
  periodStart,
  periodsBetween,
  shiftPeriod,
  type Granularity,
} from '../src/internal.js';
import { collect, harness } from './helpers.js';

const key = (text: string, granularity: Granularity) => parsePeriodKey(text, granularity)!;
const at = (iso: string) => Date.parse(iso);

describe('period arithmetic', () => {
  it('round-trips canonical keys and refuses other granularities', () => {
    for (const [text, g] of [
      ['2026', 'year'],
      ['2026-11', 'month'],
      ['2026-11-25', 'day'],
      ['2026-11-25T13', 'hour'],
    ] as const) {
      expect(periodKey(key(text, g))).toBe(text);
    }
    expect(parsePeriodKey('2026-11-25', 'hour')).toBeUndefined();
    expect(parsePeriodKey('2026-11-25T13', 'day')).toBeUndefined();
    expect(parsePeriodKey('2026-02-30', 'day')).toBeUndefined();
  });

  it('steps across month, year and day boundaries', () => {
    expect(periodKey(nextPeriod(key('2026-12-31', 'day')))).toBe('2027-01-01');
    expect(periodKey(nextPeriod(key('2026-11-25T23', 'hour')))).toBe('2026-11-26T00');
    expect(periodKey(shiftPeriod(key('2026-03-01', 'day'), -1))).toBe('2026-02-28');
    expect(periodKey(shiftPeriod(key('2026-01', 'month'), -2))).toBe('2025-11');
    expect(periodKey(nextPeriod(key('2026', 'year')))).toBe('2027');
  });

  it('enumerates every period in a range once, in order', () => {
    const days = [...periodsBetween(key('2026-01-01', 'day'), key('2026-12-31', 'day'))];
    expect(days).toHaveLength(365);
    const hours = [...periodsBetween(key('2026-11-01T00', 'hour'), key('2026-11-01T23', 'hour'))];
    // Labels, not instants: a 25-hour DST day still has the 24 folders 00…23.
    expect(hours.map(periodKey)).toEqual(
      Array.from({ length: 24 }, (_, h) => `2026-11-01T${String(h).padStart(2, '0')}`),
    );
    expect(comparePeriods(days[0]!, days[1]!)).toBeLessThan(0);
  });

  it('is lazy: a ten-year hourly range yields its first period without listing the rest', () => {
    const iterator = periodsBetween(key('2016-01-01T00', 'hour'), key('2026-01-01T00', 'hour'));
    expect(periodKey(iterator.next().value!)).toBe('2016-01-01T00');
    expect(periodKey(iterator.next().value!)).toBe('2016-01-01T01');
  });
});

describe('typed dates', () => {
  const hourly = compileLayout('{yyyy}-{MM}-{dd}/{HH}');
  const daily = compileLayout('rec-{yyyy}{MM}{dd}');

  it('covers a coarser date with all its periods', () => {
    const day = parseDateInput('2026-11-25', hourly)!;
    expect(periodKey(firstCoveredPeriod(day, 'hour'))).toBe('2026-11-25T00');
    expect(periodKey(lastCoveredPeriod(day, 'hour'))).toBe('2026-11-25T23');
    const month = parseDateInput('2026-02', daily)!;
    expect(periodKey(lastCoveredPeriod(month, 'day'))).toBe('2026-02-28');
  });

  it('truncates a finer date to its period, and reads minutes and layout folder names', () => {
    expect(periodKey(firstCoveredPeriod(parseDateInput('2026-11-25T13:45', daily)!, 'day'))).toBe(
      '2026-11-25',
    );
    expect(periodKey(parseDateInput('2026-11-25T13', hourly)!)).toBe('2026-11-25T13');
    expect(periodKey(parseDateInput('rec-20261125', daily)!)).toBe('2026-11-25');
    expect(periodKey(parseDateInput('2026-11-25/07', hourly)!)).toBe('2026-11-25T07');
  });

  it.each(['2026-11-25T13:60', '2026-11-25T24', '25.11.2026', 'today', ''])(
    'refuses %j',
    (text) => {
      expect(parseDateInput(text, daily)).toBeUndefined();
    },
  );
});

describe('timezones and closing', () => {
  it('finds the period on the wall clock of the zone', () => {
    const now = new Date('2026-11-25T20:00:00Z');
    expect(periodKey(periodContaining(now, 'day', 'UTC'))).toBe('2026-11-25');
    expect(periodKey(periodContaining(now, 'day', 'Asia/Kolkata'))).toBe('2026-11-26'); // 01:30 IST
    expect(periodKey(periodContaining(now, 'hour', 'America/New_York'))).toBe('2026-11-25T15');
  });

  it('closes an Asia/Kolkata (+05:30) day at its midnight, 18:30 UTC, plus grace', () => {
    const day = key('2026-11-25', 'day');
    expect(periodClosesAt(day, 'Asia/Kolkata', 0)).toBe(at('2026-11-25T18:30:00Z'));
    expect(periodClosesAt(day, 'Asia/Kolkata', 3_600_000)).toBe(at('2026-11-25T19:30:00Z'));
  });

  it('closes a Pacific/Chatham (+13:45 in summer) day at 10:15 UTC', () => {
    expect(periodClosesAt(key('2026-11-25', 'day'), 'Pacific/Chatham', 0)).toBe(
      at('2026-11-25T10:15:00Z'),
    );
  });

  it('gives a fall-back day 25 hours and a spring-forward day 23', () => {
    const length = (d: string) =>
      periodClosesAt(key(d, 'day'), 'America/New_York', 0) -
      periodStart(key(d, 'day'), 'America/New_York').toMillis();
    expect(length('2026-11-01')).toBe(25 * 3_600_000);
    expect(length('2026-03-08')).toBe(23 * 3_600_000);
  });

  it(
    'closes the twice-shown hour 01 of 2026-11-01 in New York only after its second ' +
      'occurrence',
    () => {
      // 01:00 EDT is 05:00Z, 01:00 EST (the second 01) is 06:00Z; hour 02 starts at 07:00Z.
      const hour = key('2026-11-01T01', 'hour');
      expect(periodClosesAt(hour, 'America/New_York', 0)).toBe(at('2026-11-01T07:00:00Z'));
      expect(
        periodKey(periodContaining(new Date('2026-11-01T05:30:00Z'), 'hour', 'America/New_York')),
      ).toBe('2026-11-01T01');
      expect(
        periodKey(periodContaining(new Date('2026-11-01T06:30:00Z'), 'hour', 'America/New_York')),
      ).toBe('2026-11-01T01');
    },
  );

  it(
    'gives the skipped hour 02 of 2026-03-08 in New York no time: it closes when hour 03 ' +
      'starts',
    () => {
      expect(periodClosesAt(key('2026-03-08T01', 'hour'), 'America/New_York', 0)).toBe(
        at('2026-03-08T07:00:00Z'),
      );
      expect(periodClosesAt(key('2026-03-08T02', 'hour'), 'America/New_York', 0)).toBe(
        at('2026-03-08T07:00:00Z'),
      );
      expect(periodClosesAt(key('2026-03-08T03', 'hour'), 'America/New_York', 0)).toBe(
        at('2026-03-08T08:00:00Z'),
      );
    },
  );

  it('makes a period of a real calendar date only', () => {
    expect(makePeriod('day', { year: 2026, month: 2, day: 29 })).toBeUndefined();
    expect(makePeriod('month', { year: 2026, month: 12 })).toMatchObject({ day: 1, hour: 0 });
  });
});

describe('DST through the strategy', () => {
  const hourlyNY = { layout: '{yyyy}-{MM}-{dd}/{HH}', timezone: 'America/New_York', lookback: 0 };

  it('keeps the fall-back hour 01 open through its second occurrence plus grace', async () => {
    const { instance } = harness({ ...hourlyNY, grace: '1h' });
    const cursor = { through: '2026-11-01T00' };
    const state = async (now: string) =>
      (await collect(instance, { now, cursor })).summary.find((p) => p.id === '2026-11-01/01')
        ?.closed;
    expect(await state('2026-11-01T06:30:00Z')).toBe(false); // second 01:30, the hour is current
    expect(await state('2026-11-01T07:30:00Z')).toBe(false); // 02:30 EST, within grace
    expect(await state('2026-11-01T07:59:59Z')).toBe(false);
    expect(await state('2026-11-01T08:00:00Z')).toBe(true); // hour 02 began at 07:00Z, + 1h
  });

  it('yields the missing spring-forward hour 02 as an empty partition', async () => {
    const { instance } = harness({ ...hourlyNY, grace: 0 });
    const { summary, partitions } = await collect(instance, {
      now: '2026-03-08T08:30:00Z',
      cursor: { through: '2026-03-08T00' },
    });
    expect(summary).toEqual([
      { id: '2026-03-08/01', closed: true, recheck: false },
      { id: '2026-03-08/02', closed: true, recheck: false },
      { id: '2026-03-08/03', closed: true, recheck: false },
      { id: '2026-03-08/04', closed: false, recheck: false }, // 04:30 EDT: the current hour
    ]);
    const files = [];
    for await (const file of partitions[1]!.files()) files.push(file);
    expect(files).toEqual([]);
  });

  it('closes an Asia/Kolkata day at 18:30 UTC plus grace', async () => {
    const { instance } = harness({ timezone: 'Asia/Kolkata', lookback: 0, grace: '30m' });
    const day25 = async (now: string) =>
      (await collect(instance, { now, cursor: { through: '2026-11-24' } })).summary.find(
        (p) => p.id === '2026-11-25',
      );
    expect(await day25('2026-11-25T18:00:00Z')).toEqual({
      id: '2026-11-25',
      closed: false,
      recheck: false,
    });
    expect((await day25('2026-11-25T18:59:59Z'))?.closed).toBe(false);
    expect((await day25('2026-11-25T19:00:00Z'))?.closed).toBe(true);
  });
});
