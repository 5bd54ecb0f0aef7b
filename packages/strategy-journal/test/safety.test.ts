import { appendFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCandidateFile, type FileCandidate } from '@recsync/framework';
import { appendLines, archive, collect, harness } from './helpers.js';

/** The reason of a refused entry, else undefined. */
const refusal = (f: FileCandidate) => (f.kind === 'refused' ? f.reason : undefined);
const sizeOf = (f: FileCandidate) => (isCandidateFile(f) ? f.size : 0);

async function setup(lines: (string | Buffer)[], followSymlinks = false) {
  const { root, source, journalDir } = await archive(['in/a.wav', 'in/b.wav']);
  await mkdir(path.join(root, 'secret'));
  await writeFile(path.join(root, 'secret', 'key.pem'), 'not for the bucket');
  await symlink(path.join(root, 'secret'), path.join(source, 'out-dir'));
  await symlink(path.join(root, 'secret', 'key.pem'), path.join(source, 'out-link.pem'));
  await symlink(path.join(source, 'in', 'a.wav'), path.join(source, 'in-link.wav'));
  const journal = path.join(journalDir, 'written.log');
  for (const line of lines)
    await appendFile(journal, Buffer.concat([Buffer.from(line), Buffer.from('\n')]));
  const h = harness({ path: journal }, source, followSymlinks);
  const runs = await collect(h.instance);
  return { root, source, journal, h, files: runs.flatMap((r) => r.files) };
}

describe('a journal cannot be used to read files outside the source', () => {
  it('refuses ".." and outside absolute paths, naming the journal line', async () => {
    const { source, journal, files, h } = await setup([
      'in/a.wav',
      '../secret/key.pem',
      '/etc/passwd',
      'in/../in/b.wav',
    ]);
    expect(files.map((f) => [f.path, f.origin, refusal(f)])).toEqual([
      ['../secret/key.pem', `${journal}:2`, 'has a ".." segment'],
      ['/etc/passwd', `${journal}:3`, `is outside the source ${source}`],
      ['in/../in/b.wav', `${journal}:4`, 'has a ".." segment'],
      ['in/a.wav', `${journal}:1`, undefined],
    ]);
    expect(h.instance.features?.describe?.()).toMatchObject({ refusedLines: 3, entries: 1 });
  });

  it('refuses a line with a NUL byte', async () => {
    const { journal, files } = await setup(['in/a\0.wav']);
    expect(files).toEqual([
      {
        kind: 'refused',
        path: 'in/a\0.wav',
        reason: 'contains a NUL byte',
        origin: `${journal}:1`,
      },
    ]);
  });

  it('refuses invalid UTF-8 with the line number, and reads the other lines', async () => {
    const { journal, files, h } = await setup([
      'in/a.wav',
      Buffer.from([0x69, 0x6e, 0x2f, 0xc3, 0x28, 0x2e, 0x77]),
      'in/b.wav',
    ]);
    expect(
      files
        .map((f) => [f.path, refusal(f), f.origin])
        .sort((a, b) => String(a[2]).localeCompare(String(b[2]))),
    ).toEqual([
      ['in/a.wav', undefined, `${journal}:1`],
      ['', 'line is not valid UTF-8', `${journal}:2`],
      ['in/b.wav', undefined, `${journal}:3`],
    ]);
    expect(h.warnings).toEqual([]);
  });

  it('skips symlinks and symlinked folders while followSymlinks is off', async () => {
    const { journal, files, h } = await setup([
      'out-dir/key.pem',
      'out-link.pem',
      'in-link.wav',
      'in/a.wav',
    ]);
    expect(files.map((f) => f.path)).toEqual(['in/a.wav']);
    expect(h.warnings.sort()).toEqual([
      `skipped ${journal}:1: out-dir/key.pem is reached through a symlinked folder and ` +
        'followSymlinks is off',
      `skipped ${journal}:2: out-link.pem is a symlink and followSymlinks is off`,
      `skipped ${journal}:3: in-link.wav is a symlink and followSymlinks is off`,
    ]);
  });

  it('refuses followed symlinks that lead outside the source, with the line number', async () => {
    const { root, journal, files, h } = await setup(
      ['out-dir/key.pem', 'out-link.pem', 'in-link.wav'],
      true,
    );
    const byLine = [...files].sort((a, b) => String(a.origin).localeCompare(String(b.origin)));
    expect(byLine.map((f) => [f.path, sizeOf(f), refusal(f)])).toEqual([
      ['out-dir/key.pem', 0, `is reached through a symlink to ${root}/secret, outside the source`],
      ['out-link.pem', 0, `is a symlink to ${root}/secret/key.pem, outside the source`],
      ['in-link.wav', 'content of in/a.wav'.length, undefined],
    ]);
    expect(byLine.map((f) => f.origin)).toEqual([`${journal}:1`, `${journal}:2`, `${journal}:3`]);
    expect(h.warnings).toEqual([]);
    expect(h.instance.features?.describe?.()).toMatchObject({ refusedLines: 2 });
  });

  it('skips entries that are not regular files', async () => {
    const { journal, h, files } = await setup(['in']);
    expect(files).toEqual([]);
    expect(h.warnings).toEqual([`skipped ${journal}:1: in is not a regular file`]);
  });

  it('refuses an over-long line by its length and keeps reading', async () => {
    const { source, journalDir } = await archive(['a.wav']);
    const journal = path.join(journalDir, 'written.log');
    await appendLines(journal, ['x'.repeat(70_000), 'a.wav']);
    const h = harness({ path: journal }, source);
    const files = (await collect(h.instance)).flatMap((r) => r.files);
    expect(files.filter((f) => !refusal(f)).map((f) => f.path)).toEqual(['a.wav']);
    expect(files.filter((f) => refusal(f)).map((f) => [refusal(f), f.origin])).toEqual([
      ['line is 70000 bytes long (at most 65536)', `${journal}:1`],
    ]);
    expect(h.warnings).toEqual([]);
  });
});
