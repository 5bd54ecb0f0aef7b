import { describe, expect, it } from 'vitest';
import { readLine, type Roots } from '../src/entries.js';
import { MAX_LINE_BYTES } from '../src/lines.js';

const roots: Roots = { source: '/home/archive/REC', real: '/mnt/disk/REC' };
const meaning = (line: string | Buffer | number) =>
  readLine(typeof line === 'string' ? Buffer.from(line) : line, roots);

describe('what a journal line means', () => {
  it('takes relative paths as they are, normalising "." and empty segments', () => {
    expect(meaning('2026-11-25/a.wav')).toEqual({ kind: 'entry', path: '2026-11-25/a.wav' });
    expect(meaning('./2026-11-25//b.wav')).toEqual({ kind: 'entry', path: '2026-11-25/b.wav' });
  });

  it('takes absolute paths inside the source, as configured or as its real path', () => {
    expect(meaning('/home/archive/REC/2026-11-25/a.wav')).toEqual({
      kind: 'entry',
      path: '2026-11-25/a.wav',
    });
    expect(meaning('/mnt/disk/REC/x/b.wav')).toEqual({ kind: 'entry', path: 'x/b.wav' });
  });

  it('ignores blank lines and comments, and drops one trailing CR', () => {
    expect(meaning('')).toEqual({ kind: 'ignored' });
    expect(meaning('   ')).toEqual({ kind: 'ignored' });
    expect(meaning('# rotated at 00:00')).toEqual({ kind: 'ignored' });
    expect(meaning('a.wav\r')).toEqual({ kind: 'entry', path: 'a.wav' });
  });

  it('reads JSON entries with path and size', () => {
    expect(
      meaning('{"path":"2026-11-25/a.wav","size":4096,"mtime":"2026-11-25T10:00:00Z"}'),
    ).toEqual({ kind: 'entry', path: '2026-11-25/a.wav', size: 4096 });
    expect(meaning('{"path":"with\\nnewline.wav"}')).toEqual({
      kind: 'entry',
      path: 'with\nnewline.wav',
    });
  });

  it('says why a JSON entry is unusable', () => {
    expect(meaning('{"path":')).toMatchObject({
      kind: 'invalid',
      why: expect.stringContaining('invalid JSON entry'),
    });
    expect(meaning('{"file":"a.wav"}')).toMatchObject({
      kind: 'invalid',
      why: 'a JSON entry needs "path" (a string)',
    });
    expect(meaning('{"path":"a.wav","size":-1}')).toMatchObject({
      kind: 'invalid',
      why: '"size" must be a whole number of bytes',
    });
    expect(meaning('{"path":"a.wav","mtime":"soon"}')).toMatchObject({ kind: 'invalid' });
  });

  it('hands paths that leave the root to the engine as written, to be refused', () => {
    expect(meaning('../../etc/shadow')).toEqual({
      kind: 'unsafe',
      path: '../../etc/shadow',
      why: 'has a ".." segment',
    });
    expect(meaning('a/../b.wav')).toMatchObject({ kind: 'unsafe', path: 'a/../b.wav' });
    expect(meaning('/etc/shadow')).toEqual({
      kind: 'unsafe',
      path: '/etc/shadow',
      why: 'is outside the source /home/archive/REC',
    });
    expect(meaning('/home/archive/RECORDINGS-old/a.wav')).toMatchObject({ kind: 'unsafe' });
    expect(meaning('a\0b.wav')).toEqual({
      kind: 'unsafe',
      path: 'a\0b.wav',
      why: 'contains a NUL byte',
    });
  });

  it('refuses invalid UTF-8, over-long lines and the root itself', () => {
    expect(meaning(Buffer.from([0x61, 0xff, 0x62]))).toEqual({
      kind: 'invalid',
      why: 'line is not valid UTF-8',
    });
    expect(meaning(MAX_LINE_BYTES + 1)).toMatchObject({
      kind: 'invalid',
      why: expect.stringContaining('bytes long'),
    });
    expect(meaning('/home/archive/REC')).toMatchObject({
      kind: 'invalid',
      why: expect.stringContaining('source folder itself'),
    });
    expect(meaning('{"path":""}')).toMatchObject({ kind: 'invalid', why: 'empty path' });
  });
});
