/**
 * Folder layouts: `{yyyy}-{MM}-{dd}`, `{yyyy}/{MM}/{dd}`, `rec-{yyyy}{MM}{dd}`,
 * `{yyyy}-{MM}-{dd}/{HH}` …
 *
 * A layout is fixed text and the tokens `{yyyy}` `{MM}` `{dd}` `{HH}` (4-digit year, 2-digit
 * month, day and 24-hour hour), with `/` separating folder levels. Its granularity is its finest
 * token. {@link parseLayout} accepts only layouts whose folder names sort in time order: every
 * token at most once, no level skipped (a day needs its month), tokens from coarse to fine. With
 * fixed-width numbers and the same fixed text, that makes name order equal to time order at
 * every folder level, which discovery and the partition order rely on.
 *
 * Fixed text may hold any character except `/` and unmatched braces; it is matched literally.
 */
import {
  GRANULARITIES,
  fieldsAreValid,
  granularityRank,
  makePeriod,
  type Granularity,
  type Period,
  type PeriodFields,
} from './period.js';

/** The tokens a layout may use, each naming one granularity with a fixed width. */
export const LAYOUT_TOKENS = {
  yyyy: { granularity: 'year', width: 4 },
  MM: { granularity: 'month', width: 2 },
  dd: { granularity: 'day', width: 2 },
  HH: { granularity: 'hour', width: 2 },
} as const satisfies Record<string, { granularity: Granularity; width: number }>;

export type LayoutToken = keyof typeof LAYOUT_TOKENS;

export type LayoutPart =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'token';
      readonly token: LayoutToken;
      readonly granularity: Granularity;
      readonly width: number;
    };

/** One folder level of a layout. */
export interface LayoutSegment {
  readonly parts: readonly LayoutPart[];
  /** Anchored; one capture group per token, in order. */
  readonly pattern: RegExp;
}

export interface Layout {
  /** The layout as written. */
  readonly text: string;
  /** The finest token's granularity: what one partition spans. */
  readonly granularity: Granularity;
  /** One per folder level, outermost first; the last one names the partition folder. */
  readonly segments: readonly LayoutSegment[];
}

export type LayoutResult =
  | { readonly ok: true; readonly layout: Layout }
  | { readonly ok: false; readonly errors: string[] };

const TOKEN_LIST = '{yyyy} year, {MM} month, {dd} day, {HH} hour (00-23)';

/** Parses and checks a layout; every problem found is reported, each as one sentence. */
export function parseLayout(text: string): LayoutResult {
  const quoted = JSON.stringify(text);
  if (text === '')
    return { ok: false, errors: ['layout is empty; write one such as "{yyyy}-{MM}-{dd}"'] };
  const errors: string[] = [];
  if (text.startsWith('/'))
    errors.push(`layout ${quoted} starts with "/": it is a path relative to the source folder`);
  if (text.endsWith('/'))
    errors.push(`layout ${quoted} ends with "/": the last level names the partition folder`);
  const segments: LayoutSegment[] = [];
  const raw = text.replace(/^\/+|\/+$/g, '').split('/');
  for (const segment of raw) {
    if (segment === '') errors.push(`layout ${quoted} has an empty folder level ("//")`);
    else if (segment === '.' || segment === '..')
      errors.push(`layout ${quoted} has a "${segment}" folder level; use folder names only`);
    else segments.push(parseSegment(segment, quoted, errors));
  }
  const tokens = segments.flatMap((s) => s.parts.flatMap((p) => (p.kind === 'token' ? [p] : [])));
  errors.push(...checkTokens(tokens, quoted));
  if (errors.length > 0) return { ok: false, errors };
  const granularity =
    GRANULARITIES[Math.max(...tokens.map((t) => granularityRank(t.granularity)))]!;
  return { ok: true, layout: { text, granularity, segments } };
}

/**
 * Splits one folder level into fixed text and tokens; unknown tokens and stray braces become
 * errors.
 */
function parseSegment(segment: string, quoted: string, errors: string[]): LayoutSegment {
  const parts: LayoutPart[] = [];
  const addText = (piece: string): void => {
    if (piece === '') return;
    if (/[{}]/.test(piece))
      errors.push(`layout ${quoted} has an unmatched "{" or "}" in ${JSON.stringify(piece)}`);
    parts.push({ kind: 'text', text: piece });
  };
  let last = 0;
  for (const match of segment.matchAll(/\{([^{}]*)\}/g)) {
    addText(segment.slice(last, match.index));
    last = match.index + match[0].length;
    const name = match[1]!;
    if (Object.hasOwn(LAYOUT_TOKENS, name)) {
      const token = name as LayoutToken;
      parts.push({ kind: 'token', token, ...LAYOUT_TOKENS[token] });
    } else {
      errors.push(unknownTokenMessage(name, quoted));
    }
  }
  addText(segment.slice(last));
  const source = parts
    .map((p) => (p.kind === 'text' ? escapeRegExp(p.text) : `(\\d{${p.width}})`))
    .join('');
  return { parts, pattern: new RegExp(`^${source}$`) };
}

function unknownTokenMessage(name: string, quoted: string): string {
  const near = Object.keys(LAYOUT_TOKENS).find((t) => t.toLowerCase() === name.toLowerCase());
  const suggestion = near
    ? ` did you mean {${near}}? Tokens are case-sensitive:`
    : ' known tokens are';
  return `unknown token {${name}} in layout ${quoted};${suggestion} ${TOKEN_LIST}`;
}

/** The rules that make folder-name order equal time order. */
function checkTokens(
  tokens: readonly { token: LayoutToken; granularity: Granularity }[],
  quoted: string,
): string[] {
  const errors: string[] = [];
  const seen = new Set<LayoutToken>();
  for (const { token } of tokens) {
    if (seen.has(token))
      errors.push(
        `token {${token}} appears more than once in layout ${quoted}; each token may appear once`,
      );
    seen.add(token);
  }
  const present = [...seen];
  if (present.length === 0) {
    errors.push(`layout ${quoted} has no date tokens; use ${TOKEN_LIST}, e.g. "{yyyy}-{MM}-{dd}"`);
  } else if (!seen.has('yyyy')) {
    errors.push(`layout ${quoted} has no {yyyy}; every layout needs the 4-digit year`);
  }
  const names = Object.keys(LAYOUT_TOKENS) as LayoutToken[];
  for (const [rank, name] of names.entries()) {
    const finer = names.slice(rank + 1).find((n) => seen.has(n));
    if (!seen.has(name) && rank > 0 && finer && seen.has('yyyy')) {
      errors.push(
        `layout ${quoted} has {${finer}} but no {${name}}; a layout cannot skip a level ` +
          'between {yyyy} and its finest token',
      );
      break;
    }
  }
  for (let i = 1; i < tokens.length; i++) {
    const [before, after] = [tokens[i - 1]!, tokens[i]!];
    if (granularityRank(after.granularity) < granularityRank(before.granularity)) {
      errors.push(
        `{${before.token}} comes before {${after.token}} in layout ${quoted}; tokens must ` +
          'go from coarse to fine ' +
          '({yyyy}, {MM}, {dd}, {HH}) so that folder names sort in time order',
      );
      break;
    }
  }
  return errors;
}

/**
 * Parses a layout, throwing one Error with every problem: for callers holding an already-validated
 * layout.
 */
export function compileLayout(text: string): Layout {
  const result = parseLayout(text);
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.layout;
}

/** The folder path (partition id) of a period: `2026-11-25`, `2026/11/25`, `2026-11-25/13`. */
export function formatPeriod(layout: Layout, period: Period): string {
  const value = (g: Granularity): number => period[g];
  return layout.segments
    .map((segment) =>
      segment.parts
        .map((p) =>
          p.kind === 'text' ? p.text : String(value(p.granularity)).padStart(p.width, '0'),
        )
        .join(''),
    )
    .join('/');
}

/**
 * Matches one folder name at folder level `level`, adding its fields to `fields` (those of the
 * enclosing folders). Undefined when the name does not fit the layout or names no real date
 * (`2026-02-30`, month `13`): such folders are ignored, never guessed at.
 */
export function matchSegment(
  layout: Layout,
  level: number,
  name: string,
  fields: PeriodFields = {},
): PeriodFields | undefined {
  const segment = layout.segments[level];
  const match = segment?.pattern.exec(name);
  if (!segment || !match) return undefined;
  const next: PeriodFields = { ...fields };
  let group = 1;
  for (const part of segment.parts) {
    if (part.kind === 'token') next[part.granularity] = Number(match[group++]);
  }
  const anyToken = segment.parts.some((p) => p.kind === 'token');
  return !anyToken || fieldsAreValid(next) ? next : undefined;
}

/**
 * The period a folder path (partition id, `/`-separated) names, or undefined when it does not fit
 * the layout.
 */
export function parseFolderPath(layout: Layout, folderPath: string): Period | undefined {
  const names = folderPath.split('/');
  if (names.length !== layout.segments.length) return undefined;
  let fields: PeriodFields | undefined = {};
  for (const [level, name] of names.entries()) {
    fields = matchSegment(layout, level, name, fields);
    if (!fields) return undefined;
  }
  return makePeriod(layout.granularity, fields);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
