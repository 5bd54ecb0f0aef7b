/**
 * The plain-JSON shapes a run reports: outcomes, per-partition summaries and run stats.
 * Counting lives here (framework); rendering lives in the CLI.
 */
import type { Connection } from './s3/connection.js';

/**
 * Final outcome of a file in a run. `uploaded`, `present`, `excluded` are done; `deferred` and
 * `failed` put the file in the pending set; `vanished` means it was deleted before it could be
 * read (there is nothing left to back up; reported as a warning).
 */
export type FileOutcome = 'uploaded' | 'present' | 'excluded' | 'deferred' | 'failed' | 'vanished';

export const FILE_OUTCOMES: readonly FileOutcome[] = [
  'uploaded',
  'present',
  'excluded',
  'deferred',
  'failed',
  'vanished',
];

export interface Tally {
  files: number;
  bytes: number;
}

export type OutcomeCounts = Record<FileOutcome, Tally>;

export function emptyCounts(): OutcomeCounts {
  return Object.fromEntries(FILE_OUTCOMES.map((o) => [o, { files: 0, bytes: 0 }])) as OutcomeCounts;
}

export function addTo(counts: OutcomeCounts, outcome: FileOutcome, bytes: number): void {
  counts[outcome].files += 1;
  counts[outcome].bytes += bytes;
}

export interface RunInfo {
  readonly job: string;
  readonly mode: 'plan' | 'sync';
  readonly source: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint?: string;
  /** Endpoint, region, profile and CA bundle, each with where it came from. */
  readonly connection?: Connection;
  readonly strategy: string;
  readonly facts: Record<string, string | number | boolean>;
  readonly range?: { since?: string; until?: string };
  readonly startedAt: string;
  /** This run's shard (`--shard`): it sees only the files whose hash(key) mod count is index. */
  readonly shard?: { readonly index: number; readonly count: number };
}

export interface PartitionSummary {
  readonly job: string;
  readonly index: number;
  readonly id: string;
  readonly closed: boolean;
  readonly recheck: boolean;
  /** Every file settled and nothing went wrong while listing it. */
  readonly complete: boolean;
  readonly counts: OutcomeCounts;
  readonly error?: { code: string; message: string };
}

/** Uploaded objects by who verified their checksum (see the README's Integrity section). */
export interface VerificationCounts {
  /** The store checked the whole-object checksum recsync sent, and echoed it. */
  store: number;
  /** The store reported a checksum (composite) that recsync compared with its own. */
  recsync: number;
  /** No checksum came back (or checksums are off). */
  unverified: number;
}

export function emptyVerification(): VerificationCounts {
  return { store: 0, recsync: 0, unverified: 0 };
}

/** Multipart uploads this run aborted or could not abort. */
export interface MultipartReport {
  /** Left by earlier runs (recorded in the state) and aborted at the start of this one. */
  readonly earlierAborted: number;
  /** Abandoned uploads under the prefix aborted by the sweep. */
  readonly swept: number;
  /** In flight at a hard stop (second signal): key and whether the abort reached the store. */
  readonly interrupted: readonly { key: string; uploadId: string; aborted: boolean }[];
}

export interface RunStats {
  readonly job: string;
  readonly mode: 'plan' | 'sync';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly counts: OutcomeCounts;
  readonly partitions: { total: number; complete: number };
  /** Cursor saved at the end (sync), or the one in force (plan). */
  readonly cursor: unknown;
  readonly pending: number;
  readonly exitCode: number;
  readonly interrupted: boolean;
  /** A second signal aborted in-flight uploads (their files have no outcome in this run). */
  readonly hardStopped?: boolean;
  readonly error?: { code: string; message: string; hint?: string };
  /** Sync only: who verified the uploaded objects' checksums. */
  readonly verification?: VerificationCounts;
  /** Sync only: multipart uploads aborted (left by earlier runs, swept, cut by a hard stop). */
  readonly multipart?: MultipartReport;
}
