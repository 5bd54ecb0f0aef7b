#!/usr/bin/env node
// Lockstep versions for every workspace: the published packages and the private examples that
// pin them (npm workspaces; see RELEASING.md).
//
//   node scripts/release.mjs version 0.2.0   set every package's version and the exact pins
//                                             between them, then refresh package-lock.json
//   node scripts/release.mjs check           exit 1 unless all packages share one version and
//                                             pin each other to it
//
// `npm version --workspaces` sets the versions but leaves the pins between the packages at
// the old version (npm then looks for them in the registry), hence this script.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const packages = root.workspaces.map((dir) => {
  const file = path.join(ROOT, dir, 'package.json');
  return { dir, file, json: JSON.parse(readFileSync(file, 'utf8')) };
});
const names = new Set(packages.map((p) => p.json.name));
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

function problems() {
  const found = [];
  const version = packages[0].json.version;
  for (const { dir, json } of packages) {
    if (json.version !== version)
      found.push(`${dir}: version ${json.version}, expected ${version} (lockstep)`);
    for (const field of ['dependencies', 'peerDependencies', 'devDependencies']) {
      for (const [name, spec] of Object.entries(json[field] ?? {})) {
        if (names.has(name) && spec !== version)
          found.push(`${dir}: ${field}.${name} is ${spec}, expected ${version}`);
      }
    }
  }
  return found;
}

const [command, version] = process.argv.slice(2);
if (command === 'version') {
  if (!version || !SEMVER.test(version)) {
    console.error(`usage: node scripts/release.mjs version X.Y.Z (got ${version ?? 'nothing'})`);
    process.exit(2);
  }
  for (const { file, json } of packages) {
    json.version = version;
    for (const field of ['dependencies', 'peerDependencies', 'devDependencies']) {
      for (const name of Object.keys(json[field] ?? {}))
        if (names.has(name)) json[field][name] = version;
    }
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  }
  execFileSync(
    'npm',
    ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  console.log(
    `all packages at ${version}; next: update CHANGELOG.md, commit, tag v${version}, npm ` +
      'run release:publish',
  );
} else if (command === 'check') {
  const found = problems();
  for (const p of found) console.error(p);
  if (found.length > 0) process.exit(1);
  console.log(`${packages.length} packages at ${packages[0].json.version}, pinned to each other`);
} else {
  console.error('usage: node scripts/release.mjs version X.Y.Z | check');
  process.exit(2);
}
