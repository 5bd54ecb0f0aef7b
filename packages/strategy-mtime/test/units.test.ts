/** The small parts: options, time inputs, and the directory scanner on its own. */
import * as fs from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHUNK,
  mtimeOptionsSchema,
  mtimeStrategy,
  openScan,
  parseTimeInput,
  type ScanChunk,
  type ScanTask,
} from '@recsync/strategy-mtime/internal';
import { run, subject, tempDir, writeFiles } from './helpers.js';

describe('options', () => {
  it('has documented defaults, and the remote check defaults to head', () => {
    expect(mtimeOptionsSchema.parse({})).toEqual({
      margin: 5000,
      ctime: true,
      writeOnce: false,
      include: [],
      exclude: [],
      threads: 2,
    });
    expect(mtimeStrategy.features?.defaultRemoteCheck).toBe('head');
    expect(mtimeStrategy.features?.range?.accepts).toMatch(/duration/);
  });

  it('refuses typos and bad values with messages that say what is valid', () => {
    const issues = (input: unknown) =>
      mtimeOptionsSchema
        .safeParse(input)
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ writeonce: true })?.join()).toMatch(/writeonce/);
    expect(issues({ start: 'last tuesday' })?.join()).toMatch(
      /start: start "last tuesday" is not a date-time .* or a duration/,
    );
    expect(issues({ margin: 5 })?.join()).toMatch(/margin: expected a duration with a unit/);
    expect(issues({ threads: 1.5 })?.join()).toMatch(/threads must be a whole number/);
    expect(issues({ include: '*.mp4' })?.join()).toMatch(/include must be a list of glob patterns/);
  });

  it('ties the saved state to the globs only', () => {
    const identity = (input: object) =>
      mtimeStrategy.features!.identity!(mtimeOptionsSchema.parse(input));
    expect(identity({ writeOnce: true, margin: '1m', include: ['a/**'] })).toEqual({
      include: ['a/**'],
      exclude: [],
    });
  });
});

describe('time inputs', () => {
  const now = new Date('2030-01-10T12:00:00Z');
  it('reads durations before the clock, and date-times with or without a zone', () => {
    expect(parseTimeInput('7d', now)).toBe(now.getTime() - 7 * 86_400_000);
    expect(parseTimeInput('90m', now)).toBe(now.getTime() - 5_400_000);
    expect(parseTimeInput('2030-01-02T03:04:05Z', now)).toBe(Date.parse('2030-01-02T03:04:05Z'));
    expect(parseTimeInput('2030-01-02T03:04:05.123456+02:00', now)).toBe(
      Date.parse('2030-01-02T01:04:05.123Z'),
    );
    expect(parseTimeInput('2030-01-02 03:04-0130', now)).toBe(Date.parse('2030-01-02T04:34:00Z'));
    // local midnight, like find -newermt
    expect(parseTimeInput('2030-01-02', now)).toBe(new Date(2030, 0, 2).getTime());
    expect(parseTimeInput('2030-01-02T03:04', now)).toBe(new Date(2030, 0, 2, 3, 4).getTime());
  });

  it('refuses what is neither', () => {
    for (const text of [
      '',
      'soon',
      '7',
      '2030-13-01',
      '2030-02-30',
      '2030-01-02T25:00',
      '2030-1-2',
    ])
      expect(parseTimeInput(text, now)).toBeUndefined();
  });
});

describe('the directory scanner', () => {
  const task = (dir: string, overrides: Partial<ScanTask> = {}): ScanTask => ({
    dir,
    files: true,
    subdirs: true,
    subdirLimit: -1,
    all: true,
    cutoff: -Infinity,
    until: Infinity,
    ctime: true,
    statDirs: true,
    follow: false,
    rootReal: dir,
    small: false,
    ...overrides,
  });
  const drain = (t: ScanTask) => {
    const scan = openScan(fs, t);
    const chunks: ScanChunk[] = [];
    do chunks.push(scan.next());
    while (!chunks.at(-1)!.done);
    return chunks;
  };

  it('streams a large folder in bounded chunks, listed at once or with opendir', async () => {
    const root = await tempDir();
    await writeFiles(
      root,
      Object.fromEntries(Array.from({ length: 2 * CHUNK + 10 }, (_, i) => [`f${i}`, null])),
    );
    for (const sub of ['s1', 's2', 's3']) await mkdir(path.join(root, sub));
    for (const small of [false, true]) {
      const chunks = drain(task(root, { small }));
      expect(chunks.length).toBe(3);
      expect(chunks.every((c) => c.names.length + c.dirs.length <= CHUNK)).toBe(true);
      expect(chunks.flatMap((c) => c.names)).toHaveLength(2 * CHUNK + 10);
      expect(chunks.flatMap((c) => c.dirs.map((d) => d.name)).sort()).toEqual(['s1', 's2', 's3']);
      expect(chunks.every((c) => c.error === undefined)).toBe(true);
    }
  });

  it(
    'without files, stats none and stops once the subfolders the link count announces are ' +
      'found',
    async () => {
      const root = await tempDir();
      await mkdir(path.join(root, 'only'));
      await writeFiles(
        root,
        Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, null])),
      );
      const chunks = drain(task(root, { files: false, subdirLimit: 1 }));
      expect(chunks.flatMap((c) => c.dirs.map((d) => d.name))).toEqual(['only']);
      expect(chunks.reduce((n, c) => n + c.counts.stated, 0)).toBe(0);
    },
  );

  it('reports a vanished folder as empty, and likewise a file where a folder was', async () => {
    const root = await tempDir();
    await writeFiles(root, { file: null });
    for (const dir of [path.join(root, 'missing'), path.join(root, 'file')]) {
      const chunks = drain(task(dir));
      expect(chunks).toEqual([expect.objectContaining({ done: true, names: [], dirs: [] })]);
      expect(chunks[0]!.error).toBeUndefined();
    }
  });

  it(
    'yields names that are not valid UTF-8 with their raw bytes (files and whole folders), ' +
      'and counts them',
    async () => {
      const root = await tempDir();
      await writeFiles(root, { 'd/ok.mp4': null });
      fs.writeFileSync(
        Buffer.concat([Buffer.from(`${root}/d/`), Buffer.from([0x63, 0xff, 0x2e, 0x6d])]),
        'latin-1 name',
      );
      fs.mkdirSync(Buffer.concat([Buffer.from(`${root}/d/`), Buffer.from([0x78, 0xfe])]));
      fs.writeFileSync(
        Buffer.concat([
          Buffer.from(`${root}/d/`),
          Buffer.from([0x78, 0xfe]),
          Buffer.from('/in.mp4'),
        ]),
        'inside',
      );
      const { instance, warnings } = subject({}, root);
      const paths = (await run(instance, { now: Date.now() })).paths.sort();
      expect(paths).toHaveLength(3);
      expect(paths).toContain('d/ok.mp4');
      expect(paths.filter((p) => p.includes('\uFFFD~'))).toHaveLength(2);
      expect(instance.describe()).toMatchObject({ undecodableNames: 2 });
      expect(warnings.join()).toMatch(
        /partition d: 2 name\(s\) are not valid UTF-8: backed up under a key-safe name/,
      );
    },
  );
});
