#!/usr/bin/env node
// `npm run lint:width`: lists source lines longer than 100 characters (Biome's formatter keeps
// to 100 columns but cannot break a string literal or a comment) and exits 1 when there are any.
// A line whose only way to be shorter would be to break a URL is allowed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LIMIT = 100;
const SOURCE = /\.(ts|mts|cts|tsx|js|mjs|cjs)$/;
const IN_SCOPE = [
  /^packages\/[^/]+\/(src|test)\//,
  /^test\//,
  /^bench\//,
  /^examples\//,
  /^scripts\//,
];

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
  cwd: ROOT,
  encoding: 'utf8',
})
  .split('\n')
  .filter((f, i, all) => all.indexOf(f) === i) // a file with a merge conflict is listed per stage
  .filter((f) => SOURCE.test(f) && IN_SCOPE.some((re) => re.test(f)));

const offenders = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(path.join(ROOT, file), 'utf8');
  } catch {
    continue; // deleted in the working tree
  }
  text.split('\n').forEach((line, i) => {
    if (line.length <= LIMIT) return;
    const url = line.match(/\bhttps?:\/\/\S+/);
    if (url && line.length - url[0].length <= LIMIT) return;
    offenders.push(`${file}:${i + 1}: ${line.length} characters`);
  });
}

if (offenders.length > 0) {
  process.stderr.write(
    `${offenders.join('\n')}\n${offenders.length} line(s) longer than ${LIMIT} characters: ` +
      'wrap strings with + or join, comments onto more lines\n',
  );
  process.exit(1);
}
process.stdout.write(`line width: ${files.length} files, no line over ${LIMIT} characters\n`);
