import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../src/engine/outcome.js';
import { ERROR_CODES, EXIT_CODES, RecsyncError, WARNING_CODES } from '../src/errors.js';

const packages = join(import.meta.dirname, '..', '..');

async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

describe('one exit-code map', () => {
  it('gives every error class a number from EXIT_CODES', () => {
    const numbers = new Set<number>(Object.values(EXIT_CODES));
    for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]) {
      expect(numbers.has(new RecsyncError(code, { message: 'm' }).exitCode)).toBe(true);
    }
    expect(new RecsyncError('E_TARGET_FAILING', { message: 'm' }).exitCode).toBe(4);
    expect(new RecsyncError('E_INTERNAL', { message: 'm' }).exitCode).toBe(1);
  });

  it('decides a run’s code: fatal first, then interrupted, then anything owed', () => {
    const fatal = new RecsyncError('E_LOCKED', { message: 'm' });
    expect(exitCodeOf({ fatal, interrupted: true, owed: 3 })).toBe(EXIT_CODES.locked);
    expect(exitCodeOf({ interrupted: true, owed: 3 })).toBe(EXIT_CODES.interrupted);
    expect(exitCodeOf({ interrupted: false, owed: 1 })).toBe(EXIT_CODES.filesPending);
    expect(exitCodeOf({ interrupted: false, owed: 0 })).toBe(EXIT_CODES.ok);
  });

  it('keeps warning codes apart from error codes', () => {
    for (const code of Object.keys(WARNING_CODES)) expect(code).toMatch(/^W_[A-Z_]+$/);
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^E_[A-Z_]+$/);
  });

  it('has no exit number written anywhere else in the packages’ sources', async () => {
    const literal =
      /\bexit\(\s*\d+\s*\)|\bexitCode\s*(?:[!=]==|=)\s*\d+\b|\bexitCode:\s*(?:!?\w+\s*\?\s*)?\d+\b/;
    const offenders: string[] = [];
    for (const dir of ['framework', 'cli']) {
      for (const file of await sources(join(packages, dir, 'src'))) {
        if (file.endsWith('errors.ts')) continue;
        const text = await readFile(file, 'utf8');
        text.split('\n').forEach((line, i) => {
          if (literal.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(offenders).toEqual([]);
  });
});
