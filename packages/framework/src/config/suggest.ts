/**
 * "Did you mean …?" for misspelt config keys (and the CLI's flags): the closest known name by
 * edit distance, offered only when it is close enough to be a likely typo.
 */
import { distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/**
 * The closest candidate to `word`, if it is within a typo's distance (about a third of its length).
 */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    const d = distance(word.toLowerCase(), name.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

type Def = { type: string; [key: string]: unknown };
const defOf = (schema: unknown): Def | undefined =>
  (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/**
 * The keys an object schema accepts at `path` (through optional, default, pipe, record, array,
 * union).
 */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const found = new Set<string>();
  const visit = (node: unknown, rest: readonly PropertyKey[]) => {
    const def = defOf(node);
    if (!def) return;
    switch (def.type) {
      case 'object': {
        const shape = def.shape as Record<string, unknown>;
        if (rest.length === 0) for (const key of Object.keys(shape)) found.add(key);
        else if (typeof rest[0] === 'string' && rest[0] in shape)
          visit(shape[rest[0]], rest.slice(1));
        return;
      }
      case 'record':
        if (rest.length > 0) visit(def.valueType, rest.slice(1));
        return;
      case 'array':
        if (rest.length > 0) visit(def.element, rest.slice(1));
        return;
      case 'union':
        for (const option of def.options as unknown[]) visit(option, rest);
        return;
      case 'pipe':
        visit(def.in, rest);
        return;
      default:
        if (def.innerType) visit(def.innerType, rest);
    }
  };
  visit(schema, path);
  return [...found];
}
