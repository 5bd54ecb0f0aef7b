/**
 * The glob compiler: include/exclude patterns as the job's `filters.include/exclude` (the
 * built-in filter plugin) and strategies that walk (mtime's `include/exclude`) read them:
 * picomatch, matched against the path relative to the source, `/`-separated, dot files
 * included; a pattern without `/` matches the base name at any depth (`*.tmp` = `**\/*.tmp`),
 * like rclone's and .gitignore's. A file is taken when it matches an include (or there are none)
 * and no exclude.
 *
 * Directories are pruned (never opened) only when that is certain, so pruning never changes
 * which files are taken, only how many folders are read:
 * - by an exclude that ends in `/**` and whose rest matches the directory (`tmp/**`,
 *   `**\/cache/**`): everything below is excluded;
 * - by the includes, when none can match a path below the directory: each include is compared
 *   segment by segment with the directory's path (`cam-*\/2026-*\/*.mp4` never needs `other/`).
 *   An include without `/` (base name), a negated one, or one with a brace or group spanning `/`
 *   can match anywhere, so it prunes nothing.
 */
import picomatch from 'picomatch';

export interface PathRules {
  /**
   * Whether a file (relative path) is taken: it matches an include (or there are none) and no
   * exclude.
   */
  includesFile(rel: string): boolean;
  /** Whether a file matches an include (true when there are none). */
  matchesInclude(rel: string): boolean;
  /** The first exclude pattern a file matches, or undefined. */
  excludedBy(rel: string): string | undefined;
  /** Whether no file below the directory (relative path) can be taken. */
  prunesDir(rel: string): boolean;
}

type Matcher = (input: string) => boolean;

/** One pattern, with the filters' meaning, as a test of a relative `/`-separated path. */
export function compileGlob(pattern: string): Matcher {
  return picomatch(pattern, { dot: true, basename: !pattern.includes('/') });
}

/** One include, split into segments; undefined when it can match below any directory. */
type SegmentPattern = readonly (Matcher | 'globstar')[] | undefined;

export function compilePathRules(
  include: readonly string[],
  exclude: readonly string[],
): PathRules {
  const includes = include.map(compileGlob);
  const excludes = exclude.map((pattern) => ({ pattern, test: compileGlob(pattern) }));
  const excludedDirs = exclude.flatMap((pattern) => {
    const base = pattern.endsWith('/**') && !pattern.startsWith('!') ? pattern.slice(0, -3) : '';
    return base ? [picomatch(base, { dot: true })] : [];
  });
  const includeSegments = include.map(segmentsOf);
  const canPrune =
    excludedDirs.length > 0 ||
    (includeSegments.length > 0 && includeSegments.every((s) => s !== undefined));
  return {
    includesFile(rel) {
      if (includes.length > 0 && !includes.some((test) => test(rel))) return false;
      return !excludes.some(({ test }) => test(rel));
    },
    matchesInclude(rel) {
      return includes.length === 0 || includes.some((test) => test(rel));
    },
    excludedBy(rel) {
      return excludes.find(({ test }) => test(rel))?.pattern;
    },
    prunesDir(rel) {
      if (!canPrune) return false;
      if (excludedDirs.some((test) => test(rel))) return true;
      if (includeSegments.length === 0 || includeSegments.some((s) => s === undefined))
        return false;
      const dir = rel.split('/');
      return !includeSegments.some((segments) => couldMatchBelow(segments!, dir));
    },
  };
}

/** Whether some path `dir/…` (at least one more segment) can match the pattern's segments. */
function couldMatchBelow(
  segments: readonly (Matcher | 'globstar')[],
  dir: readonly string[],
): boolean {
  for (let i = 0; i < dir.length; i++) {
    const segment = segments[i];
    if (segment === undefined) return false;
    if (segment === 'globstar') return true;
    if (!segment(dir[i]!)) return false;
  }
  return dir.length < segments.length;
}

function segmentsOf(pattern: string): SegmentPattern {
  const text = pattern.startsWith('./') ? pattern.slice(2) : pattern;
  if (!text.includes('/') || text.startsWith('!') || slashInsideGroup(text)) return undefined;
  return text
    .split('/')
    .map((segment) => (segment === '**' ? 'globstar' : picomatch(segment, { dot: true })));
}

/** A `/` inside `{…}`, `(…)` or `[…]` makes segment-wise matching unsound. */
function slashInsideGroup(pattern: string): boolean {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '{' || c === '(' || c === '[') depth++;
    else if ((c === '}' || c === ')' || c === ']') && depth > 0) depth--;
    else if (c === '/' && depth > 0) return true;
  }
  return false;
}
