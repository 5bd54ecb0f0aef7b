/**
 * What `verify` can find, as plain JSON: one {@link Finding} per problem, counted per folder and
 * per run. Every kind but `note` makes the run exit 1.
 */

export type FindingKind =
  /** A local file has no object. */
  | 'missing'
  /** The object's size is not the local file's. */
  | 'size'
  /**
   * The local file's checksum is not the one stored at upload (the file changed, or was
   * replaced).
   */
  | 'local-differs'
  /** The object's bytes do not hash to the checksum stored at upload (found by --deep). */
  | 'object-corrupt'
  /** The object carries no stored checksum (its metadata lost it, or another tool wrote it). */
  | 'no-checksum'
  /** The stored mtime is not the local file's. */
  | 'stale-mtime'
  /** An object under the job's prefix with no local file. */
  | 'extra'
  /** Object Lock retention shorter than configured (or none). */
  | 'retention-short'
  /**
   * The object is not encrypted although `target.sse` asks for it (from an inventory's
   * EncryptionStatus).
   */
  | 'not-encrypted'
  /** The check itself failed (a read error, a request that kept failing). */
  | 'error'
  /**
   * Informational, never fails the run: another storage class than configured (an archive class
   * needs a restore before it can be read).
   */
  | 'note';

export const FINDING_KINDS: readonly FindingKind[] = [
  'missing',
  'size',
  'local-differs',
  'object-corrupt',
  'no-checksum',
  'stale-mtime',
  'extra',
  'retention-short',
  'not-encrypted',
  'error',
  'note',
];

export interface Finding {
  readonly kind: FindingKind;
  /** The folder (or partition, or manifest) it was found in. */
  readonly unit: string;
  readonly key: string;
  /** Path relative to the source, when there is a local file. */
  readonly path?: string;
  readonly detail: string;
  readonly expected?: string;
  readonly actual?: string;
}

export type FindingCounts = Record<FindingKind, number>;

export function emptyFindingCounts(): FindingCounts {
  return Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as FindingCounts;
}

/** Findings that fail the run (everything but notes). */
export function failing(counts: FindingCounts): number {
  return FINDING_KINDS.filter((k) => k !== 'note').reduce((sum, k) => sum + counts[k], 0);
}

/** Kinds `--repair` acts on by uploading the local file again (the local file wins). */
export const REPAIRABLE: ReadonlySet<FindingKind> = new Set([
  'missing',
  'size',
  'local-differs',
  'object-corrupt',
  'no-checksum',
  'stale-mtime',
]);
