import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLayout, discoverEarliest, periodKey } from '../src/internal.js';
import { collect, filesOf, harness, tree } from './helpers.js';

const NOON = '2026-11-25T12:00:00Z';

describe('files of a partition', () => {
  it('includes files in subfolders, with paths relative to the source', async () => {
    const source = await tree({
      files: ['2026-11-25/a.wav', '2026-11-25/sub/deeper/b.wav', '2026-11-24/c.wav', 'stray.txt'],
    });
    const { instance } = harness({ timezone: 'UTC', lookback: 1 }, source);
    const { partitions } = await collect(instance, {
      now: NOON,
      cursor: { through: '2026-11-24' },
    });
    expect(partitions.map((p) => p.id)).toEqual(['2026-11-24', '2026-11-25']);
    expect(await filesOf(partitions[0]!)).toEqual(['2026-11-24/c.wav']);
    expect(await filesOf(partitions[1]!)).toEqual([
      '2026-11-25/a.wav',
      '2026-11-25/sub/deeper/b.wav',
    ]);
  });

  it('reports size and mtime', async () => {
    const source = await tree({ files: ['2026-11-25/a.wav'] });
    const { instance } = harness({ timezone: 'UTC', start: '2026-11-25' }, source);
    const { partitions } = await collect(instance, { now: NOON });
    const files = [];
    for await (const file of partitions[0]!.files()) files.push(file);
    expect(files).toEqual([
      {
        path: '2026-11-25/a.wav',
        size: 'content of 2026-11-25/a.wav'.length,
        mtimeMs: expect.any(Number),
      },
    ]);
  });

  it('treats a missing folder as an empty partition', async () => {
    const source = await tree({ files: ['2026-11-25/a.wav'] });
    const { instance } = harness({ timezone: 'UTC', start: '2026-11-23' }, source);
    const { partitions } = await collect(instance, { now: NOON });
    expect(await filesOf(partitions[0]!)).toEqual([]);
  });

  it('walks nested layouts below the partition folder only', async () => {
    const source = await tree({
      files: ['2026/11/25/x/a.wav', '2026/11/24/b.wav', '2026/11/loose.wav'],
    });
    const { instance } = harness(
      { layout: '{yyyy}/{MM}/{dd}', timezone: 'UTC', start: '2026-11-25' },
      source,
    );
    const { partitions } = await collect(instance, { now: NOON });
    expect(partitions.map((p) => p.id)).toEqual(['2026/11/25']);
    expect(await filesOf(partitions[0]!)).toEqual(['2026/11/25/x/a.wav']);
  });

  it('leaves files beside hour folders out of every partition; discovery counts them', async () => {
    const source = await tree({ files: ['2026-11-25/loose.wav', '2026-11-25/13/a.wav'] });
    const { instance } = harness(
      { layout: '{yyyy}-{MM}-{dd}/{HH}', timezone: 'UTC', grace: 0 },
      source,
    );
    const { partitions } = await collect(instance, { now: '2026-11-25T14:10:00Z' });
    expect(partitions.map((p) => p.id)).toEqual(['2026-11-25/13', '2026-11-25/14']);
    expect(await filesOf(partitions[0]!)).toEqual(['2026-11-25/13/a.wav']);
    expect(instance.features?.describe?.()).toMatchObject({ ignoredFiles: 1, ignoredFolders: 0 });
  });

  it('skips a symlinked partition folder unless symlinks are followed', async () => {
    const source = await tree({ files: ['elsewhere/a.wav'] });
    await symlink(path.join(source, 'elsewhere'), path.join(source, '2026-11-25'));
    const plain = harness({ timezone: 'UTC', start: '2026-11-25' }, source);
    const [skipped] = (await collect(plain.instance, { now: NOON })).partitions;
    expect(await filesOf(skipped!)).toEqual([]);
    expect(plain.warnings.join()).toMatch(
      /2026-11-25 \(partition 2026-11-25\) is a symlink and followSymlinks is off/,
    );
    expect(plain.instance.features?.describe?.()).toMatchObject({ skippedFileSymlinks: 1 });

    const following = harness({ timezone: 'UTC', start: '2026-11-25' }, source, true);
    const [followed] = (await collect(following.instance, { now: NOON })).partitions;
    expect(await filesOf(followed!)).toEqual(['2026-11-25/a.wav']);
  });

  it('yields nothing, without failing, for a file where the partition folder belongs', async () => {
    const source = await tree();
    await writeFile(path.join(source, '2026-11-25'), 'not a folder');
    const { instance, warnings } = harness({ timezone: 'UTC', start: '2026-11-25' }, source);
    const [partition] = (await collect(instance, { now: NOON })).partitions;
    expect(await filesOf(partition!)).toEqual([]);
    expect(warnings.join()).toMatch(/is not a folder, so it belongs to no partition/);
  });
});

describe('discovery', () => {
  it('counts folders and files at layout levels that do not fit', async () => {
    const source = await tree({
      dirs: ['2026-11-24', '2026-11-22', 'notes', '2026-11-23-old', '2026-02-30', 'tmp'],
      files: ['README.txt', '2026-11-21'],
    });
    const { instance, warnings } = harness({ timezone: 'UTC' }, source);
    const { summary } = await collect(instance, { now: NOON });
    expect(summary[0]?.id).toBe('2026-11-22');
    expect(instance.features?.describe?.()).toMatchObject({
      ignoredFolders: 4,
      ignoredFiles: 2,
      skippedSymlinks: 0,
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(
        String.raw`6 entries in .* do not fit layout "\{yyyy\}-\{MM\}-\{dd\}" and are not synced ` +
          String.raw`\(4 folder\(s\), 2 file\(s\), 0 symlink\(s\)`,
      ),
    );
  });

  it('descends nested levels oldest first and backs out of empty branches', async () => {
    const source = await tree({
      dirs: ['2025/11', '2025/12/31', '2025/12/xx', '2026/01/02', '2025/13/01', '2024'],
    });
    const result = await discoverEarliest({
      source,
      layout: compileLayout('{yyyy}/{MM}/{dd}'),
      followSymlinks: false,
    });
    expect(result.earliest && periodKey(result.earliest)).toBe('2025-12-31');
    // 2024 and 2025/11 fit their level but hold no day; 2025/13 is no month; 2025/12/xx no day.
    expect(result.counts.ignoredFolders).toBe(2);
    expect(result.counts.examples.sort()).toEqual(['2025/12/xx', '2025/13']);
  });

  it('reads only the layout levels, never partition contents', async () => {
    const source = await tree({
      files: ['2026-11-22/not-a-date/x.wav', '2026-11-22/bad name/y.wav'],
    });
    const result = await discoverEarliest({
      source,
      layout: compileLayout('{yyyy}-{MM}-{dd}'),
      followSymlinks: false,
    });
    expect(result.earliest && periodKey(result.earliest)).toBe('2026-11-22');
    expect(result.counts).toMatchObject({ ignoredFolders: 0, ignoredFiles: 0 });
  });

  it('counts symlinks at layout levels unless followed', async () => {
    const source = await tree({ dirs: ['real/2026-11-20', '2026-11-22'] });
    await symlink(path.join(source, 'real', '2026-11-20'), path.join(source, '2026-11-20'));
    const layout = compileLayout('{yyyy}-{MM}-{dd}');
    const plain = await discoverEarliest({ source, layout, followSymlinks: false });
    expect(plain.earliest && periodKey(plain.earliest)).toBe('2026-11-22');
    expect(plain.counts).toMatchObject({ skippedSymlinks: 1, ignoredFolders: 1 }); // `real`
    const followed = await discoverEarliest({ source, layout, followSymlinks: true });
    expect(followed.earliest && periodKey(followed.earliest)).toBe('2026-11-20');
  });

  it('matches fixed text in prefixed layouts', async () => {
    const source = await tree({
      dirs: ['rec-20261123', 'rec-2026112', 'REC-20261101', 'rec-20261124'],
    });
    await mkdir(path.join(source, 'rec-20261125'));
    const result = await discoverEarliest({
      source,
      layout: compileLayout('rec-{yyyy}{MM}{dd}'),
      followSymlinks: false,
    });
    expect(result.earliest && periodKey(result.earliest)).toBe('2026-11-23');
    expect(result.counts.ignoredFolders).toBe(2);
  });
});

describe('describe', () => {
  it('reports the facts plan prints', async () => {
    const { instance } = harness({
      layout: '{yyyy}/{MM}/{dd}',
      timezone: 'Asia/Kolkata',
      lookback: 3,
      grace: '90m',
    });
    await collect(instance, { now: NOON, cursor: { through: '2026-11-24' } });
    expect(instance.features?.describe?.()).toEqual({
      layout: '{yyyy}/{MM}/{dd}',
      timezone: 'Asia/Kolkata',
      granularity: 'day',
      lookback: 3,
      grace: '90m',
      through: '2026-11-24',
      from: '2026-11-22',
      until: '2026-11-25',
    });
  });
});
