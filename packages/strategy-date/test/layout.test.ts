import { describe, expect, it } from 'vitest';
import {
  compileLayout,
  formatPeriod,
  makePeriod,
  matchSegment,
  parseFolderPath,
  parseLayout,
  periodKey,
  type Granularity,
} from '../src/internal.js';

describe('layouts that must work', () => {
  const cases: { layout: string; granularity: Granularity; key: string; folder: string }[] = [
    { layout: '{yyyy}-{MM}-{dd}', granularity: 'day', key: '2026-11-25', folder: '2026-11-25' },
    { layout: '{yyyy}/{MM}/{dd}', granularity: 'day', key: '2026-11-25', folder: '2026/11/25' },
    {
      layout: '{yyyy}-{MM}-{dd}/{HH}',
      granularity: 'hour',
      key: '2026-11-25T13',
      folder: '2026-11-25/13',
    },
    { layout: 'rec-{yyyy}{MM}{dd}', granularity: 'day', key: '2026-11-25', folder: 'rec-20261125' },
    { layout: '{yyyy}/{MM}', granularity: 'month', key: '2026-11', folder: '2026/11' },
    { layout: '{yyyy}', granularity: 'year', key: '2026', folder: '2026' },
    {
      layout: '{yyyy}{MM}{dd}{HH}',
      granularity: 'hour',
      key: '2026-11-25T13',
      folder: '2026112513',
    },
    {
      layout: 'cam.1 (a)+[x]/{yyyy}-{MM}',
      granularity: 'month',
      key: '2026-11',
      folder: 'cam.1 (a)+[x]/2026-11',
    },
    {
      layout: '{yyyy}/{MM}/{dd}/{HH}h',
      granularity: 'hour',
      key: '2026-11-25T13',
      folder: '2026/11/25/13h',
    },
  ];

  it.each(cases)(
    '$layout: granularity $granularity, $key <-> $folder',
    ({ layout, granularity, key, folder }) => {
      const parsed = compileLayout(layout);
      expect(parsed.granularity).toBe(granularity);
      const period = parseFolderPath(parsed, folder);
      expect(period && periodKey(period)).toBe(key);
      expect(formatPeriod(parsed, period!)).toBe(folder);
    },
  );

  it('pads single-digit fields when formatting', () => {
    const layout = compileLayout('{yyyy}-{MM}-{dd}/{HH}');
    expect(
      formatPeriod(layout, makePeriod('hour', { year: 2026, month: 1, day: 2, hour: 3 })!),
    ).toBe('2026-01-02/03');
  });

  it('matches fixed text literally, not as a regular expression', () => {
    const layout = compileLayout('cam.1 (a)+[x]/{yyyy}-{MM}');
    expect(parseFolderPath(layout, 'camX1 (a)+[x]/2026-11')).toBeUndefined();
    expect(parseFolderPath(layout, 'cam.1 aa[x]/2026-11')).toBeUndefined();
  });
});

describe('folder names that do not fit', () => {
  const daily = compileLayout('{yyyy}-{MM}-{dd}');
  it.each([
    '2026-13-01',
    '2026-02-30',
    '2026-04-31',
    '2026-00-10',
    '2026-11-5',
    '2026-11-25x',
    'x2026-11-25',
    '2026/11/25',
    '0000-01-01',
  ])('%s is not a day folder', (name) => {
    expect(parseFolderPath(daily, name)).toBeUndefined();
  });

  it('accepts 29 February only in leap years', () => {
    expect(parseFolderPath(daily, '2028-02-29')).toBeDefined();
    expect(parseFolderPath(daily, '2026-02-29')).toBeUndefined();
  });

  it('rejects hour 24 and checks nested levels one at a time', () => {
    const nested = compileLayout('{yyyy}/{MM}/{dd}/{HH}');
    expect(parseFolderPath(nested, '2026/11/25/24')).toBeUndefined();
    expect(matchSegment(nested, 1, '13', { year: 2026 })).toBeUndefined();
    expect(matchSegment(nested, 1, '12', { year: 2026 })).toEqual({ year: 2026, month: 12 });
    expect(matchSegment(nested, 2, '31', { year: 2026, month: 11 })).toBeUndefined();
  });
});

describe('layout validation messages', () => {
  const errorsOf = (layout: string): string[] => {
    const result = parseLayout(layout);
    if (result.ok) throw new Error(`expected ${layout} to be refused`);
    return result.errors;
  };

  it.each([
    ['', /layout is empty; write one such as "\{yyyy\}-\{MM\}-\{dd\}"/],
    [
      '{yyyy}-{mm}-{dd}',
      'unknown token {mm} in layout "{yyyy}-{mm}-{dd}"; did you mean {MM}? ' +
        'Tokens are case-sensitive',
    ],
    ['{YYYY}-{MM}-{dd}', /unknown token \{YYYY\} .*did you mean \{yyyy\}\?/],
    [
      '{yyyy}-{week}',
      'unknown token {week} in layout "{yyyy}-{week}"; known tokens are ' +
        '{yyyy} year, {MM} month, {dd} day, {HH} hour',
    ],
    ['{yyyy}-{MM}-{dd}-{dd}', /token \{dd\} appears more than once in layout/],
    [
      '{yyyy}-{dd}',
      /layout "\{yyyy\}-\{dd\}" has \{dd\} but no \{MM\}; a layout cannot skip a level/,
    ],
    ['{yyyy}-{MM}/{HH}', /has \{HH\} but no \{dd\}/],
    ['{MM}-{dd}', /layout "\{MM\}-\{dd\}" has no \{yyyy\}; every layout needs the 4-digit year/],
    ['archive', /layout "archive" has no date tokens/],
    ['/{yyyy}-{MM}-{dd}', /starts with "\/": it is a path relative to the source folder/],
    ['{yyyy}-{MM}-{dd}/', /ends with "\/": the last level names the partition folder/],
    ['{yyyy}//{MM}', /has an empty folder level \("\/\/"\)/],
    ['../{yyyy}', /has a "\.\." folder level; use folder names only/],
    ['{yyyy}/./{MM}', /has a "\." folder level; use folder names only/],
    [
      '{MM}-{yyyy}-{dd}',
      '{MM} comes before {yyyy} in layout "{MM}-{yyyy}-{dd}"; tokens must go from coarse to fine',
    ],
    ['{dd}/{MM}/{yyyy}', /\{dd\} comes before \{MM\}.*so that folder names sort in time order/],
    ['{yyyy}/{HH}/{dd}/{MM}', /\{HH\} comes before \{dd\}/],
    ['{yyyy}-{MM', /unmatched "\{" or "\}" in "-\{MM"/],
  ])('%j is refused', (layout, message) => {
    // a string is matched as it is: a part of the messages
    expect(errorsOf(layout).join('\n')).toMatch(message);
  });

  it('reports every problem, not just the first', () => {
    const errors = errorsOf('/{yyyy}/{mm}//');
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });

  it('compileLayout throws the messages', () => {
    expect(() => compileLayout('{yyyy}-{dd}')).toThrow(/has \{dd\} but no \{MM\}/);
  });
});
