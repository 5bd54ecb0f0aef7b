/**
 * One journal line → what it asks for, decided without touching the disk.
 *
 * Format (UTF-8, one entry per line): a path relative to the source root or absolute inside
 * it; or a JSON object `{"path": …, "size"?: bytes, "mtime"?: ms or ISO date}` when the line
 * begins with `{`. Blank lines and lines beginning with `#` are ignored; one trailing `\r` is
 * dropped (CRLF journals). POSIX paths only.
 *
 * Safety (correctness rule 6): a `..` segment is refused even when it would resolve inside the
 * root lexically (`a/../b` follows `a` if it is a symlink); an absolute path must be inside
 * the source (as configured or as its real path); NUL bytes and invalid UTF-8 are refused.
 */
import { relativeInside } from '@recsync/framework';
import { MAX_LINE_BYTES, type RawLine } from './lines.js';

export interface Wanted {
  readonly kind: 'entry';
  /** Normalised, `/`-separated, relative to the source root. */
  readonly path: string;
  /** Size the producer stated (JSON entries): a smaller file on disk is not finished yet. */
  readonly size?: number;
}

/**
 * A line naming a path the engine must refuse: `path` is the text as written (with its `..`,
 * absolute or NUL), which the engine's containment check refuses as an error event.
 */
export interface Unsafe {
  readonly kind: 'unsafe';
  readonly path: string;
  readonly why: string;
}

/** A line that names nothing usable; reported as a warning. */
export interface Invalid {
  readonly kind: 'invalid';
  readonly why: string;
}

export type LineMeaning = Wanted | Unsafe | Invalid | { readonly kind: 'ignored' };

export interface Roots {
  /** The source root as configured (absolute). */
  readonly source: string;
  /** Its real path (symlinks resolved), when different. */
  readonly real?: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const IGNORED = { kind: 'ignored' } as const;

/** What one raw journal line means. */
export function readLine(raw: RawLine, roots: Roots): LineMeaning {
  if (typeof raw === 'number')
    return { kind: 'invalid', why: `line is ${raw} bytes long (at most ${MAX_LINE_BYTES})` };
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    return { kind: 'invalid', why: 'line is not valid UTF-8' };
  }
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (text.trim() === '' || text.startsWith('#')) return IGNORED;
  if (!text.startsWith('{')) return wanted(text, undefined, roots);
  const parsed = parseJsonEntry(text);
  return 'why' in parsed
    ? { kind: 'invalid', why: parsed.why }
    : wanted(parsed.path, parsed.size, roots);
}

function parseJsonEntry(text: string): { path: string; size?: number } | { why: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { why: `invalid JSON entry: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { why: 'a JSON entry must be an object with "path"' };
  const entry = value as { path?: unknown; size?: unknown; mtime?: unknown };
  if (typeof entry.path !== 'string') return { why: 'a JSON entry needs "path" (a string)' };
  if (
    entry.size !== undefined &&
    !(Number.isSafeInteger(entry.size) && (entry.size as number) >= 0)
  ) {
    return { why: '"size" must be a whole number of bytes' };
  }
  if (entry.mtime !== undefined && !validMtime(entry.mtime))
    return { why: '"mtime" must be milliseconds since the epoch or an ISO date' };
  return entry.size === undefined
    ? { path: entry.path }
    : { path: entry.path, size: entry.size as number };
}

function validMtime(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0;
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

/** Resolves a path as written to one relative to the source, or says why it cannot be used. */
function wanted(text: string, size: number | undefined, roots: Roots): LineMeaning {
  if (text === '') return { kind: 'invalid', why: 'empty path' };
  if (text.includes('\0')) return { kind: 'unsafe', path: text, why: 'contains a NUL byte' };
  const segments = text.split('/');
  if (segments.includes('..')) return { kind: 'unsafe', path: text, why: 'has a ".." segment' };
  let relative: string | undefined;
  if (text.startsWith('/')) {
    relative =
      relativeInside(roots.source, text) ??
      (roots.real ? relativeInside(roots.real, text) : undefined);
    if (relative === undefined)
      return { kind: 'unsafe', path: text, why: `is outside the source ${roots.source}` };
  } else {
    relative = segments.filter((s) => s !== '' && s !== '.').join('/');
  }
  if (relative === '')
    return { kind: 'invalid', why: 'names the source folder itself, not a file' };
  return size === undefined
    ? { kind: 'entry', path: relative }
    : { kind: 'entry', path: relative, size };
}
