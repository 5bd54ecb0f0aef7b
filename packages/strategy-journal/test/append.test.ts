import { spawn } from 'node:child_process';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appendToJournal } from '../src/index.js';
import { archive, collect, harness } from './helpers.js';

describe('appendToJournal', () => {
  it('appends entries relative to the source, one line each, creating the journal', async () => {
    const { source, journalDir } = await archive();
    const journal = path.join(journalDir, 'written.log');
    const result = await appendToJournal(
      journal,
      [`${source}/2026-11-25/a.wav`, '2026-11-25/b.wav'],
      { source, cwd: source, fsync: true },
    );
    expect(result).toEqual({ file: journal, appended: 2 });
    expect(await readFile(journal, 'utf8')).toBe('2026-11-25/a.wav\n2026-11-25/b.wav\n');
  });

  it('refuses a list with a path outside the source and writes none of it', async () => {
    const { root, source, journalDir } = await archive();
    const journal = path.join(journalDir, 'written.log');
    await expect(
      appendToJournal(journal, [`${source}/ok.wav`, `${root}/elsewhere.wav`], { source }),
    ).rejects.toMatchObject({
      code: 'E_USAGE',
      message: `${root}/elsewhere.wav is outside the source ${source}: not added to the journal`,
    });
    await expect(
      appendToJournal(journal, ['../escape.wav'], { source, cwd: source }),
    ).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(appendToJournal(journal, [source], { source })).rejects.toMatchObject({
      code: 'E_USAGE',
    });
    await expect(readFile(journal)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('accepts paths through the real path of a symlinked source', async () => {
    const { root, source, journalDir } = await archive();
    const linked = path.join(root, 'linked');
    await symlink(source, linked);
    const journal = path.join(journalDir, 'written.log');
    await appendToJournal(journal, [`${source}/a.wav`], { source: linked });
    expect(await readFile(journal, 'utf8')).toBe('a.wav\n');
  });

  it(
    'writes JSON entries for facts and for paths the text form cannot carry; the reader gets ' +
      'them back',
    async () => {
      const { source, journalDir } = await archive();
      const journal = path.join(journalDir, 'written.log');
      const odd = ['line\nbreak.wav', '{curly}.wav', '#hash.wav', '  '];
      await appendToJournal(
        journal,
        [...odd, { path: 'sized.wav', size: 12, mtime: 1_700_000_000_000 }],
        { source, cwd: source },
      );
      const text = await readFile(journal, 'utf8');
      expect(
        text
          .split('\n')
          .filter(Boolean)
          .every((l) => l.startsWith('{"path":')),
      ).toBe(true);
      const runs = await collect(harness({ path: journal }, source).instance);
      expect(runs.flatMap((r) => r.files.map((f) => f.path)).sort()).toEqual(
        [...odd, 'sized.wav'].sort(),
      );
    },
  );

  it("appends to the day's segment of a segment folder", async () => {
    const { source, journalDir } = await archive();
    const result = await appendToJournal(journalDir, ['a.wav'], {
      source,
      cwd: source,
      now: new Date('2026-11-25T23:59:00Z'),
    });
    expect(result.file).toBe(path.join(journalDir, '2026-11-25.log'));
    await expect(
      appendToJournal(journalDir, ['a.wav'], { segment: '../x.log' }),
    ).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('stops an async source at the first refused entry, after those before it', async () => {
    const { source, journalDir } = await archive();
    const journal = path.join(journalDir, 'written.log');
    async function* paths() {
      yield 'a.wav';
      yield '/etc/passwd';
      yield 'b.wav';
    }
    await expect(appendToJournal(journal, paths(), { source, cwd: source })).rejects.toMatchObject({
      code: 'E_USAGE',
    });
    expect(await readFile(journal, 'utf8')).toBe('a.wav\n');
  });

  it('keeps every line whole when two processes append at once', async () => {
    const { source, journalDir } = await archive();
    await mkdir(path.join(source, 'x'), { recursive: true });
    const journal = path.join(journalDir, 'written.log');
    const moduleUrl = pathToFileURL(path.resolve(import.meta.dirname, '../dist/index.js')).href;
    const producer = (tag: string) =>
      new Promise<number | null>((resolve) => {
        const script = `
          const { appendToJournal } = await import(${JSON.stringify(moduleUrl)});
          const paths = Array.from(
            { length: 2000 },
            (_, i) => 'x/${tag}-' + i + '-' + '${tag}'.repeat(200) + '.wav',
          );
          const options = { source: ${JSON.stringify(source)}, cwd: ${JSON.stringify(source)} };
          for (let i = 0; i < paths.length; i += 50)
            await appendToJournal(${JSON.stringify(journal)}, paths.slice(i, i + 50), options);`;
        spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' }).on(
          'exit',
          resolve,
        );
      });
    expect(await Promise.all([producer('a'), producer('b')])).toEqual([0, 0]);
    const lines = (await readFile(journal, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(4000);
    for (const line of lines) expect(line).toMatch(/^x\/(a-\d+-a{200}|b-\d+-b{200})\.wav$/);
  });
});
