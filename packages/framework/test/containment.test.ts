import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  followLink,
  isInside,
  isInsideBytes,
  keyProblem,
  pathRefusal,
  relativeInside,
  RootGuard,
} from '../src/fs/containment.js';

describe('pathRefusal: a relative candidate path', () => {
  it.each([
    ['a/b.wav', undefined],
    ['a', undefined],
    ['..a/b', undefined],
    ['a/..b', undefined],
    ['', 'E_FILE_BAD_PATH'],
    ['a\0b', 'E_FILE_BAD_PATH'],
    ['/etc/shadow', 'E_FILE_OUTSIDE_ROOT'],
    ['../../etc/shadow', 'E_FILE_OUTSIDE_ROOT'],
    ['a/../b', 'E_FILE_OUTSIDE_ROOT'],
    ['a//b', 'E_FILE_BAD_PATH'],
    ['./a', 'E_FILE_BAD_PATH'],
    ['a/', 'E_FILE_BAD_PATH'],
  ])('%j → %s', (relative, code) => {
    expect(pathRefusal(relative)?.code).toBe(code);
  });
});

describe('keyProblem: an object key', () => {
  it.each([
    ['prefix/a.wav', undefined],
    ['', 'empty key'],
    ['/a', 'key starts with "/"'],
    ['a/../b', 'key has "." or ".." segments'],
    ['a/./b', 'key has "." or ".." segments'],
    ['x'.repeat(1025), 'key longer than 1024 bytes'],
    ['é'.repeat(513), 'key longer than 1024 bytes'],
  ])('%j → %s', (key, problem) => {
    expect(keyProblem(key)).toBe(problem);
  });
});

describe('isInside / isInsideBytes: real paths', () => {
  it.each([
    ['/data', '/data', true],
    ['/data', '/data/a', true],
    ['/data', '/data/a/b', true],
    ['/data', '/database', false],
    ['/data', '/dat', false],
    ['/data', '/', false],
    ['/data', '/other/data', false],
    ['/data/', '/data/a', true],
    ['/', '/anything', true],
  ])('%s contains %s: %s', (root, target, inside) => {
    expect(isInside(root, target)).toBe(inside);
    expect(isInsideBytes(Buffer.from(root), Buffer.from(target))).toBe(inside);
  });

  it('compares bytes that are not valid UTF-8', () => {
    const root = Buffer.from('/data');
    const bad = Buffer.concat([Buffer.from('/data/'), Buffer.from([0xff, 0xfe])]);
    expect(isInsideBytes(root, bad)).toBe(true);
    expect(isInsideBytes(root, Buffer.concat([Buffer.from('/data'), Buffer.from([0xff])]))).toBe(
      false,
    );
  });
});

describe('relativeInside: lexical containment', () => {
  it.each([
    ['/data', '/data/a/b', 'a/b'],
    ['/data', '/data', ''],
    ['/data', '/data/x/../a', 'a'],
    ['/data', '/data/../etc', undefined],
    ['/data', '/database/a', undefined],
    ['/data', '/etc/shadow', undefined],
  ])('%s, %s → %j', (root, absolute, relative) => {
    expect(relativeInside(root, absolute)).toBe(relative);
  });
});

describe('followLink and RootGuard on a real tree', () => {
  let base: string;
  let root: string;
  beforeAll(async () => {
    base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'recsync-containment-')));
    root = path.join(base, 'root');
    await mkdir(path.join(root, 'in'), { recursive: true });
    await mkdir(path.join(base, 'out'));
    await writeFile(path.join(root, 'in', 'f'), 'x');
    await writeFile(path.join(base, 'out', 'secret'), 'x');
    await symlink(path.join(root, 'in'), path.join(root, 'to-in'));
    await symlink(path.join(base, 'out'), path.join(root, 'to-out'));
    await symlink(path.join(base, 'nowhere'), path.join(root, 'dangling'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('follows a link inside the root, refuses one out, and reports a dangling one', async () => {
    expect(await followLink(root, path.join(root, 'to-in'))).toEqual({
      real: path.join(root, 'in'),
      inside: true,
    });
    expect(await followLink(root, path.join(root, 'to-out'))).toEqual({
      real: path.join(base, 'out'),
      inside: false,
    });
    expect(await followLink(root, path.join(root, 'dangling'))).toBeUndefined();
    const asBytes = await followLink(Buffer.from(root), Buffer.from(path.join(root, 'to-out')));
    expect(asBytes?.inside).toBe(false);
    expect(Buffer.isBuffer(asBytes?.real)).toBe(true);
  });

  it('RootGuard refuses a file whose folder runs through a link out of the root', async () => {
    const guard = new RootGuard(root);
    expect(await guard.parentInside(path.join(root, 'in', 'f'))).toBe(true);
    expect(await guard.parentInside(path.join(root, 'to-in', 'f'))).toBe(true);
    expect(await guard.parentInside(path.join(root, 'to-out', 'secret'))).toBe(false);
    expect(await guard.parentInside(Buffer.from(path.join(root, 'to-out', 'secret')))).toBe(false);
    expect(await guard.parentInside(path.join(root, 'missing', 'f'))).toBe(true);
  });
});
