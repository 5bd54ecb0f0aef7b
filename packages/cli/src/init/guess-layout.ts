/**
 * Guesses a date-folder layout from the names of a source's folders (`2026-11-25`,
 * `2026/11/25`, `rec-20261125`, `2026-11-25/13`). Reads at most a few hundred names per level
 * and at most three levels down, so it is quick on an archive of millions of files. The guess
 * is checked with the date strategy's own layout parser before it is offered.
 */
import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { compileLayout, parseFolderPath } from '@recsync/strategy-date/internal';

export interface LayoutGuess {
  readonly layout: string;
  /** Top-level folders that fit the guess, of those read. */
  readonly matched: number;
  readonly folders: number;
  readonly examples: readonly string[];
}

const NAMES_READ = 500;

/** Date runs inside a folder name → layout tokens, most specific first. */
const PATTERNS: readonly [RegExp, string][] = [
  [/(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)/, '{yyyy}-{MM}-{dd}'],
  [/(?<!\d)\d{4}_\d{2}_\d{2}(?!\d)/, '{yyyy}_{MM}_{dd}'],
  [/(?<!\d)\d{4}\.\d{2}\.\d{2}(?!\d)/, '{yyyy}.{MM}.{dd}'],
  [/(?<!\d)(?:19|20)\d{2}[01]\d[0-3]\d(?!\d)/, '{yyyy}{MM}{dd}'],
  [/(?<!\d)\d{4}-\d{2}(?![\d-])/, '{yyyy}-{MM}'],
  [/^(?:19|20)\d{2}$/, '{yyyy}'],
];

export async function guessLayout(source: string): Promise<LayoutGuess | undefined> {
  const top = await folderNames(source);
  const templates = new Map<string, string[]>();
  for (const name of top) {
    const template = templateOf(name);
    if (template) templates.set(template, [...(templates.get(template) ?? []), name]);
  }
  const best = [...templates].sort((a, b) => b[1].length - a[1].length)[0];
  if (!best) return undefined;
  const [template, names] = best;
  const sample = names.sort().at(-1)!; // the newest folder is the most likely to be complete
  const layout = await deepen(source, template, sample);
  try {
    const compiled = compileLayout(layout);
    const samplePath = await samplePathFor(source, sample, compiled.segments.length);
    if (!samplePath || !parseFolderPath(compiled, samplePath)) return undefined;
  } catch {
    return undefined;
  }
  return { layout, matched: names.length, folders: top.length, examples: names.slice(-3) };
}

function templateOf(name: string): string | undefined {
  for (const [pattern, tokens] of PATTERNS) {
    const match = pattern.exec(name);
    if (match)
      return `${name.slice(0, match.index)}${tokens}${name.slice(match.index + match[0].length)}`;
  }
  return undefined;
}

/** Adds `/{MM}`, `/{dd}`, `/{HH}` levels while the sample's sub-folders look like them. */
async function deepen(source: string, template: string, sample: string): Promise<string> {
  let layout = template;
  let dir = path.join(source, sample);
  for (let level = 0; level < 3; level++) {
    const next = nextToken(layout);
    if (!next) break;
    const names = await folderNames(dir);
    const fitting = names.filter(
      (n) => /^\d{2}$/.test(n) && Number(n) >= next.min && Number(n) <= next.max,
    );
    if (fitting.length === 0 || fitting.length < names.length * 0.8) break;
    layout = `${layout}/${next.token}`;
    dir = path.join(dir, fitting.sort().at(-1)!);
  }
  return layout;
}

function nextToken(layout: string): { token: string; min: number; max: number } | undefined {
  if (layout.includes('{HH}')) return undefined;
  if (layout.includes('{dd}')) return { token: '{HH}', min: 0, max: 23 };
  if (layout.includes('{MM}')) return { token: '{dd}', min: 1, max: 31 };
  return { token: '{MM}', min: 1, max: 12 };
}

/** A path of `depth` folders starting at `first`, taking the newest sub-folder at each level. */
async function samplePathFor(
  source: string,
  first: string,
  depth: number,
): Promise<string | undefined> {
  const parts = [first];
  while (parts.length < depth) {
    const names = (await folderNames(path.join(source, ...parts))).sort();
    if (names.length === 0) return undefined;
    parts.push(names.at(-1)!);
  }
  return parts.join('/');
}

async function folderNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    const handle = await opendir(dir);
    for await (const entry of handle) {
      if (entry.isDirectory()) names.push(entry.name);
      if (names.length >= NAMES_READ) break;
    }
  } catch {
    return names;
  }
  return names;
}
