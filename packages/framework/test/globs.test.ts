import { describe, expect, it } from 'vitest';
import { compileGlob, compilePathRules } from '../src/fs/globs.js';

describe('compileGlob: one pattern', () => {
  it.each([
    ['*.tmp', 'a.tmp', true],
    ['*.tmp', 'x/y/a.tmp', true],
    ['*.tmp', 'a.tmp.wav', false],
    ['.*', 'x/.hidden', true],
    ['tmp/**', 'tmp/a/b', true],
    ['tmp/**', 'x/tmp/a', false],
    ['**/tmp/**', 'x/tmp/a', true],
    ['2026-*/*.wav', '2026-11-25/a.wav', true],
    ['2026-*/*.wav', 'x/2026-11-25/a.wav', false],
  ])('%s matches %s: %s', (pattern, rel, matches) => {
    expect(compileGlob(pattern)(rel)).toBe(matches);
  });
});

describe('compilePathRules: include and exclude', () => {
  it(
    'takes a file that matches an include (or there are none) and no ' +
      'exclude, and names the exclude',
    () => {
      const rules = compilePathRules(['*.wav', 'docs/**'], ['**/tmp/**', '*.part.wav']);
      expect(rules.includesFile('2026/a.wav')).toBe(true);
      expect(rules.includesFile('docs/x.pdf')).toBe(true);
      expect(rules.includesFile('2026/a.txt')).toBe(false);
      expect(rules.matchesInclude('2026/a.txt')).toBe(false);
      expect(rules.includesFile('2026/tmp/a.wav')).toBe(false);
      expect(rules.excludedBy('2026/tmp/a.wav')).toBe('**/tmp/**');
      expect(rules.excludedBy('b.part.wav')).toBe('*.part.wav');
      expect(rules.excludedBy('b.wav')).toBeUndefined();
      const none = compilePathRules([], []);
      expect(none.includesFile('anything/at/all')).toBe(true);
      expect(none.matchesInclude('x')).toBe(true);
    },
  );
});

describe('compilePathRules: folder pruning', () => {
  it('prunes a folder only when no file below it can be taken', () => {
    const rules = compilePathRules(['cam-*/2026-*/**/*.mp4', 'docs/*.pdf'], ['**/tmp/**']);
    const prunes = (dir: string) => rules.prunesDir(dir);
    expect(['cam-1', 'cam-1/2026-01', 'cam-1/2026-01/x/y', 'docs'].map(prunes)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(['other', 'cam-1/2025-12', 'docs/sub', 'cam-1/2026-01/tmp'].map(prunes)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(rules.includesFile('cam-1/2026-01/a/b.mp4')).toBe(true);
    expect(rules.includesFile('cam-1/2026-01/tmp/b.mp4')).toBe(false);
    expect(rules.includesFile('docs/.hidden.pdf')).toBe(true);
  });

  it('never prunes for base-name, negated or slash-spanning includes', () => {
    for (const include of [['*.mp4'], ['!x/**'], ['{a/b,c}/**'], ['a/**', '*.pdf']]) {
      expect(compilePathRules(include, []).prunesDir('zzz')).toBe(false);
    }
    expect(compilePathRules([], []).prunesDir('anything')).toBe(false);
  });
});
