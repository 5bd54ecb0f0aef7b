/**
 * Turns zod issues into config problems a person can act on: the path, what is wrong, the
 * value found and, for unknown keys, which keys are valid there.
 */
import type { z } from 'zod';

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
    const valid = schema ? keysAt(schema, issuePath) : undefined;
    const list = valid?.length ? `valid keys here: ${valid.join(', ')}; ` : '';
    return {
      path: fullPath,
      message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`,
      hint: `${list}check the spelling; unknown keys are errors so a typo never silently changes what is backed up`,
    };
  }
  if (issue.code === 'invalid_key') {
    const key = fullPath.at(-1);
    const reasons = issue.issues.map((i) => i.message).join('; ');
    return { path: fullPath.slice(0, -1), message: `invalid key ${JSON.stringify(key)}: ${reasons}` };
  }
  const value = found.present ? `; got ${show(found.value)}` : issue.code === 'invalid_type' ? '; it is missing' : '';
  return { path: fullPath, message: `${issue.message}${value}` };
}

/** The keys an object schema accepts at `at` (through optional, default, record and array). */
function keysAt(schema: z.ZodType, at: readonly (string | number)[]): string[] | undefined {
  let current: unknown = schema;
  for (const key of [...at, undefined]) {
    let def = (current as { _zod?: { def?: SchemaDef } })?._zod?.def;
    while (def?.innerType) def = def.innerType._zod?.def;
    if (!def) return undefined;
    if (key === undefined) return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
    if (def.type === 'object') current = def.shape?.[key];
    else if (def.type === 'record') current = def.valueType;
    else if (def.type === 'array') current = def.element;
    else return undefined;
  }
  return undefined;
}

interface SchemaDef {
  readonly type: string;
  readonly innerType?: { _zod?: { def?: SchemaDef } };
  readonly shape?: Record<string, unknown>;
  readonly valueType?: unknown;
  readonly element?: unknown;
}

function lookup(root: unknown, p: readonly (string | number)[]): { present: boolean; value?: unknown } {
  let current: unknown = root;
  for (const key of p) {
    if (current === null || typeof current !== 'object' || !(key in (current as object))) return { present: false };
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
