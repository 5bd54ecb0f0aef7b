/**
 * The state file's format: its versions and the migrations between them.
 *
 * Versions: 1 (the first release: fingerprint, cursor, pending set, last run); 2 adds what the
 * source looked like (`source`: device, entry count, the newest completed partition) and
 * per-entry details in the pending set (`code`, `folder`, `raw`, `mustUpload`), multipart uploads
 * in flight (`openUploads`) and the last sweep of abandoned ones (`multipartSweptAt`), all
 * optional. Each migration is a pure
 * function from one version to the next, so an upgrade never stops a nightly job: an old file
 * is read, migrated in memory and written back in the current version on the next save.
 *
 * Forward compatibility: fields a later release adds within the same version are optional and
 * kept as they are on every rewrite (see {@link StateFile.extra}); a file whose version is newer
 * than this release knows is refused with E_STATE_NEWER (it may mean something this release
 * would silently drop).
 */
import { RecsyncError } from '../errors.js';
import type { RunRecord } from './history.js';
import type { PartitionRecord } from '../engine/folders.js';

export const STATE_FORMAT = 'recsync-state';
export const STATE_VERSION = 2;

export interface Fingerprint {
  readonly source: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint: string | null;
  readonly strategy: string;
  readonly identity: unknown;
}

export interface PendingEntry {
  /** Partition the file was found in. */
  readonly partition: string;
  /** `deferred`: not yet (settle time, still growing); `failed`: failed after retries. */
  readonly reason: 'deferred' | 'failed';
  readonly detail: string;
  readonly attempts: number;
  readonly firstSeen: string;
  readonly lastTried: string;
  /** Error code of the last failure (`E_FILE_READ`, `E_FILE_BAD_KEY`, `E_FOLDER_UNREADABLE` …). */
  readonly code?: string;
  /** The entry is a folder that could not be read: its files are unknown until it can be. */
  readonly folder?: boolean;
  /** The raw bytes of the relative path (base64) when they are not valid UTF-8. */
  readonly raw?: string;
  /**
   * Set when an upload of this file was shown wrong (E_CHECKSUM_MISMATCH) or an object in the
   * way differs (E_OBJECT_CONFLICT): the file is uploaded again, never judged present by a
   * later listing or HEAD, until an upload succeeds. Sticky across other failures.
   */
  readonly mustUpload?: { readonly code: string; readonly since: string };
}

/** A multipart upload started on the server and not yet completed or aborted. */
export interface OpenUpload {
  readonly key: string;
  readonly path: string;
  readonly startedAt: string;
}

export interface LastRun {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly exitCode: number;
  readonly uploaded: number;
  readonly pending: number;
}

/**
 * What the source looked like after the last run, so the next one can tell a missing or
 * emptied source (an unmounted NAS) from an archive with nothing new.
 */
export interface SourceRecord {
  /** Device number of the source root (a change alone is only a warning: remounts change it). */
  readonly dev?: number;
  /** The newest partition completed so far, with the entries its folder had then. */
  readonly partition?: { readonly id: string; readonly dir: string; readonly entries: number };
}

export interface StateFile {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  job: string;
  fingerprint: Fingerprint;
  cursor: unknown;
  pending: Record<string, PendingEntry>;
  lastRun?: LastRun;
  source?: SourceRecord;
  /** The last syncs, newest last (bounded; see ./history.ts). Optional: absent in older states. */
  history?: RunRecord[];
  /** When the last sync that ended with exit 0 finished (kept past the history's bound). */
  lastSuccessAt?: string;
  /** Per partition id: its folders' stamps at its last complete check (see engine/folders.ts). */
  partitions?: Record<string, PartitionRecord>;
  /** Multipart uploads in flight, by upload id (optional: absent means none). */
  openUploads?: Record<string, OpenUpload>;
  /** When abandoned multipart uploads under the prefix were last swept (ISO). */
  multipartSweptAt?: string;
  /** Fields this release does not know (written by a later release of the same version): kept. */
  extra?: Record<string, unknown>;
}

const KNOWN_FIELDS = new Set([
  'format',
  'version',
  'job',
  'fingerprint',
  'cursor',
  'pending',
  'lastRun',
  'source',
  'partitions',
  'openUploads',
  'multipartSweptAt',
  'mustUpload',
  'history',
  'lastSuccessAt',
]);

/** v1 → v2: nothing to convert; the new fields start empty. */
function fromV1(data: Record<string, unknown>): Record<string, unknown> {
  return { ...data, version: 2 };
}

const MIGRATIONS: Record<number, (data: Record<string, unknown>) => Record<string, unknown>> = {
  1: fromV1,
};

/**
 * Parses a state file's text into the current version, migrating older versions.
 * Throws E_STATE_CORRUPT for anything that is not a state file, E_STATE_NEWER for a newer one.
 */
export function parseStateText(
  text: string,
  file: string,
): { state: StateFile; migratedFrom?: number } {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw corrupt(file, `not valid JSON (${(error as Error).message}; truncated by a full disk?)`);
  }
  if (typeof data !== 'object' || data === null || data.format !== STATE_FORMAT)
    throw corrupt(file, 'not a recsync state file');
  const version = data.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw corrupt(file, `unknown version ${JSON.stringify(version)}`);
  if (version > STATE_VERSION) {
    throw new RecsyncError('E_STATE_NEWER', {
      message:
        `the state file ${file} was written by a newer recsync (state version ${version}; ` +
        `this release reads up to ${STATE_VERSION})`,
      hint:
        'upgrade recsync on this machine (the newer state may hold what this release would ' +
        'drop); do not reset it',
    });
  }
  let current = data;
  for (let v = version; v < STATE_VERSION; v++) current = MIGRATIONS[v](current);
  if (typeof current.fingerprint !== 'object' || current.fingerprint === null)
    throw corrupt(file, 'no fingerprint');
  if (typeof current.pending !== 'object' || current.pending === null)
    throw corrupt(file, 'no pending set');
  const extra = Object.fromEntries(Object.entries(current).filter(([k]) => !KNOWN_FIELDS.has(k)));
  const state = {
    ...(current as unknown as StateFile),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
  for (const k of Object.keys(extra)) delete (state as unknown as Record<string, unknown>)[k];
  return { state, ...(version < STATE_VERSION ? { migratedFrom: version } : {}) };
}

/** The text written for a state: current version, unknown fields kept, stable layout. */
export function stateText(state: Omit<StateFile, 'format' | 'version'>): string {
  const { extra, ...known } = state;
  const content = { format: STATE_FORMAT, version: STATE_VERSION, ...known, ...(extra ?? {}) };
  return `${JSON.stringify(content, null, 1)}\n`;
}

function corrupt(file: string, why: string): RecsyncError {
  return new RecsyncError('E_STATE_CORRUPT', {
    message: `the state file ${file} cannot be read: ${why}`,
    hint:
      'restore it from a backup, or move it aside with `recsync state reset --job NAME` to ' +
      'start over',
  });
}
