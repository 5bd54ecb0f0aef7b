/**
 * The packages are publish-ready: what `npm pack` puts in each tarball holds every file its
 * `exports` and `bin` name, and nothing of the build's or the tests'; versions are lockstep.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  workspaces: string[];
};
/** The workspaces that are published (the examples are private workspaces). */
const published = root.workspaces.filter(
  (dir) => !JSON.parse(readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')).private,
);

interface PackResult {
  name: string;
  files: { path: string }[];
}

/** Every file path an `exports` map or `bin` points to (custom source conditions aside). */
function targets(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value.replace(/^\.\//, ''));
  else if (value && typeof value === 'object') {
    for (const [condition, inner] of Object.entries(value))
      if (condition !== '@recsync/source') targets(inner, out);
  }
  return out;
}

describe('published packages', () => {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--workspaces'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as PackResult[];

  it.each(published)(
    '%s ships what its exports and bin name, and no build or test leftovers',
    (dir) => {
      const json = JSON.parse(readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8'));
      const files = new Set(packed.find((p) => p.name === json.name)!.files.map((f) => f.path));
      for (const target of [...targets(json.exports), ...targets(json.bin ?? {})])
        expect(files, target).toContain(target);
      for (const entry of json.files as string[]) {
        if (!entry.startsWith('!'))
          expect(
            [...files].some((f) => f === entry || f.startsWith(`${entry}/`)),
            entry,
          ).toBe(true);
      }
      expect(files).toContain('README.md');
      expect([...files].filter((f) => /tsbuildinfo|(^|\/)test\/|\.test\.[jt]s$/.test(f))).toEqual(
        [],
      );
      expect(json.publishConfig).toEqual({ access: 'public' });
      expect(json.engines.node).toBe('>=20.19');
      expect(json.private).toBeUndefined();
    },
  );

  it('are versioned in lockstep and pin each other to that version', () => {
    expect(
      execFileSync('node', ['scripts/release.mjs', 'check'], { cwd: ROOT, encoding: 'utf8' }),
    ).toMatch(new RegExp(`${root.workspaces.length} packages at \\d+\\.\\d+\\.\\d+`));
  });
});
