/**
 * Turns zod issues into config problems a person can act on: the path, what is wrong, the
 * value found and, for unknown keys, which keys are valid there.
 */
import type { z } from 'zod';
import { closestName, keysAt } from './suggest.js';

export interface ConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly hint?: string;
}

type Issue = z.core.$ZodIssue;

/**
 * @param prefix  where the validated object sits in the config (for strategy options)
 * @param root    the raw config, for showing values
 * @param local   the validated object itself, when it is not reachable from `root`
 * @param schema  the schema the issue came from, to suggest the key meant by a misspelt one
 */
export function formatIssue(
  issue: Issue,
  prefix: readonly (string | number)[],
  root: unknown,
  local?: unknown,
  schema?: z.ZodType,
): ConfigProblem {
  const issuePath = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const fullPath = [...prefix, ...issuePath];
  const found = local !== undefined ? lookup(local, issuePath) : lookup(root, fullPath);
  if (issue.code === 'unrecognized_keys') {
    const known = schema ? keysAt(schema, issuePath) : [];
    const guesses = issue.keys
      .map((key) => ({ key, meant: closestName(key, known) }))
      .filter((g): g is { key: string; meant: string } => g.meant !== undefined);
    const didYouMean = guesses
      .map((g) => `did you mean ${JSON.stringify(g.meant)} for ${JSON.stringify(g.key)}?`)
      .join(' ');
    const valid = known.length > 0 ? `valid keys here: ${known.join(', ')}` : '';
    return {
      path: fullPath,
      message:
        `unknown key${issue.keys.length > 1 ? 's' : ''} ` +
        `${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`,
      hint: [
        didYouMean,
        valid,
        'unknown keys are errors so a typo never silently changes what is backed up',
      ]
        .filter(Boolean)
        .join('\n'),
    };
  }
  if (issue.code === 'invalid_key') {
    const key = fullPath.at(-1);
    const reasons = issue.issues.map((i) => i.message).join('; ');
    return {
      path: fullPath.slice(0, -1),
      message: `invalid key ${JSON.stringify(key)}: ${reasons}`,
    };
  }
  const value = found.present
    ? `; got ${show(found.value)}`
    : issue.code === 'invalid_type'
      ? '; it is missing'
      : '';
  return { path: fullPath, message: `${issue.message}${value}` };
}

function lookup(
  root: unknown,
  p: readonly (string | number)[],
): { present: boolean; value?: unknown } {
  let current: unknown = root;
  for (const key of p) {
    if (current === null || typeof current !== 'object' || !(key in (current as object)))
      return { present: false };
    current = (current as Record<string | number, unknown>)[key];
  }
  return { present: current !== undefined, value: current };
}

function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
