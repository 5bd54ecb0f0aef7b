import { describe, expect, it } from 'vitest';
import { isStrategyDefinition, isStrategyRef } from '@recsync/framework';
import defaultExport, { dateFolders, dateStrategy } from '../src/index.js';
import { dateCursorSchema, dateOptionsSchema } from '../src/internal.js';

/** The messages of a failed parse, each prefixed with its path. */
function issues(input: unknown): string[] {
  const result = dateOptionsSchema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('options', () => {
  it('fills the documented defaults', () => {
    const options = dateOptionsSchema.parse({});
    expect(options).toEqual({
      layout: '{yyyy}-{MM}-{dd}',
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      lookback: 2,
      grace: 3_600_000,
    });
  });

  it('reads grace as a duration with a unit', () => {
    expect(dateOptionsSchema.parse({ grace: '90m' }).grace).toBe(5_400_000);
    expect(dateOptionsSchema.parse({ grace: 0 }).grace).toBe(0);
    expect(issues({ grace: '5' }).join()).toMatch(/^grace: expected a duration with a unit/);
  });

  it('refuses unknown keys (typos)', () => {
    expect(issues({ layuot: '{yyyy}' }).join()).toMatch(/layuot/);
  });

  it('refuses an unknown timezone with a clear message', () => {
    expect(issues({ timezone: 'Europe/Atlantis' })).toEqual([
      'timezone: unknown timezone "Europe/Atlantis"; use an IANA zone name such as ' +
        '"Europe/Berlin", "America/New_York" or "UTC"',
    ]);
  });

  it('accepts IANA zones', () => {
    expect(dateOptionsSchema.parse({ timezone: 'Asia/Kolkata' }).timezone).toBe('Asia/Kolkata');
  });

  it.each([
    [-1, 'lookback: lookback must be 0 or more (a number of partitions)'],
    [1.5, 'lookback: lookback must be a whole number of partitions (0 or more)'],
    ['2', 'lookback: lookback must be a whole number of partitions (0 or more)'],
    [
      100_001,
      'lookback: lookback must be at most 100000 partitions (use --since for a full reconcile)',
    ],
  ])('refuses lookback %j', (lookback, message) => {
    expect(issues({ lookback })).toEqual([message]);
  });

  it('reports layout problems on the layout path', () => {
    expect(issues({ layout: '{yyyy}-{dd}' })).toEqual([
      'layout: layout "{yyyy}-{dd}" has {dd} but no {MM}; a layout cannot skip a level ' +
        'between {yyyy} and its finest token',
    ]);
  });

  it('checks start against the layout', () => {
    expect(issues({ start: '2026-13-01' })).toEqual([
      'start: start "2026-13-01" is not a date; use 2026-11-25, 2026-11-25T13 or ' +
        '2026-11-25T13:00 (hours), 2026-11 or 2026, or a folder name in the layout',
    ]);
    expect(
      dateOptionsSchema.parse({ layout: '{yyyy}-{MM}-{dd}/{HH}', start: '2024-01-01T13:00' }).start,
    ).toBe('2024-01-01T13:00');
    expect(
      dateOptionsSchema.parse({ layout: 'rec-{yyyy}{MM}{dd}', start: 'rec-20240101' }).start,
    ).toBe('rec-20240101');
  });
});

describe('cursor', () => {
  it.each(['2026', '2026-11', '2026-11-25', '2026-11-25T13'])('accepts %s', (through) => {
    expect(dateCursorSchema.parse({ through })).toEqual({ through });
  });

  it.each(['2026/11/25', '2026-11-25T13:00', 'yesterday'])('refuses %s', (through) => {
    expect(dateCursorSchema.safeParse({ through }).success).toBe(false);
  });

  it('refuses extra keys', () => {
    expect(dateCursorSchema.safeParse({ through: '2026', offset: 1 }).success).toBe(false);
  });
});

describe('definition', () => {
  it('is the default export, a strategy definition with a range help text', () => {
    expect(defaultExport).toBe(dateStrategy);
    expect(isStrategyDefinition(dateStrategy)).toBe(true);
    expect(dateStrategy.name).toBe('@recsync/strategy-date');
    expect(dateStrategy.features?.range?.accepts).toMatch(/2026-11-01T13/);
  });

  it('ties the state to the layout only', () => {
    const options = dateOptionsSchema.parse({
      layout: '{yyyy}/{MM}/{dd}',
      timezone: 'UTC',
      lookback: 5,
      grace: '2h',
    });
    expect(dateStrategy.features?.identity?.(options)).toEqual({ layout: '{yyyy}/{MM}/{dd}' });
  });

  it('dateFolders() pairs the definition with unvalidated options', () => {
    const ref = dateFolders({ layout: '{yyyy}/{MM}/{dd}', timezone: 'UTC' });
    expect(isStrategyRef(ref)).toBe(true);
    expect(ref.definition).toBe(dateStrategy);
    expect(ref.options).toEqual({ layout: '{yyyy}/{MM}/{dd}', timezone: 'UTC' });
  });
});
