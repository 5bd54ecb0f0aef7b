#!/usr/bin/env node
// `npm run pack`: one installable tarball per package in dist-packages/ (built first by the
// npm script), the same files `npm publish` would upload. Install with
// `npm i -g dist-packages/*.tgz` (all of them at once: they depend on each other).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(ROOT, 'dist-packages');
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
// Private workspaces (the example packages) are not published, so they are not packed either.
const workspaces = JSON.parse(
  readFileSync(path.join(ROOT, 'package.json'), 'utf8'),
).workspaces.filter(
  (dir) => !JSON.parse(readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')).private,
);
const args = [
  'pack',
  ...workspaces.flatMap((dir) => ['--workspace', dir]),
  '--pack-destination',
  out,
  '--silent',
];
execFileSync('npm', args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
const tarballs = readdirSync(out).filter((f) => f.endsWith('.tgz'));
for (const t of tarballs) console.log(path.relative(process.cwd(), path.join(out, t)));
console.log(`\ninstall: npm i -g ${path.relative(process.cwd(), out)}/*.tgz`);
