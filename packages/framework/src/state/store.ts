/**
 * Per-job state: the strategy's cursor, the pending set and a fingerprint of what the state is
 * about. One JSON file per job (`<stateDir>/<job>.state.json`), replaced atomically.
 *
 * The fingerprint (source, bucket, prefix, endpoint, strategy name and identity options) ties
 * a cursor to its target: reusing a cursor against another bucket or layout would skip
 * everything before it, so a mismatch is refused (E_STATE_MISMATCH) until the user resets or
 * adopts the state.
 */
import path from 'node:path';
import { isRecsyncError, RecsyncError } from '../errors.js';
import type { ResolvedJob } from '../config/resolve.js';
import {
  fileDocument,
  lockName,
  stateDocument,
  stateName,
  type StateDocument,
  type StoreJob,
} from './documents.js';
import type { PartitionRecord } from '../engine/folders.js';
import {
  parseStateText,
  stateText,
  type Fingerprint,
  type LastRun,
  type OpenUpload,
  type PendingEntry,
  type SourceRecord,
  type StateFile,
} from './format.js';
import { envEndpoint } from '../s3/target.js';
import { appendRun, lastSuccessOf, type RunRecord } from './history.js';
import type { Connection } from '../s3/connection.js';
import { withoutCredentials } from '../secrets.js';

export type {
  Fingerprint,
  PendingEntry,
  LastRun,
  OpenUpload,
  SourceRecord,
  StateFile,
} from './format.js';

/** The local state file of a job (and shard): `<stateDir>/<job>[.shard-I-of-N].state.json`. */
export function stateFilePath(
  job: Pick<ResolvedJob, 'stateDir' | 'name'> & Partial<Pick<ResolvedJob, 'shard'>>,
): string {
  return path.join(job.stateDir, stateName(job));
}

/** The local lease file of a job (and shard): `<stateDir>/<job>[.shard-I-of-N].lock`. */
export function lockFilePath(
  job: Pick<ResolvedJob, 'stateDir' | 'name'> & Partial<Pick<ResolvedJob, 'shard'>>,
): string {
  return path.join(job.stateDir, lockName(job));
}

/** `connection`: the resolved endpoint (see s3/connection.ts); without it, config and env only. */
export function fingerprintOf(job: ResolvedJob, connection?: Connection): Fingerprint {
  const { definition, options } = job.strategy;
  return {
    source: job.source,
    bucket: job.target.bucket,
    prefix: job.target.prefix,
    endpoint: withoutCredentials(
      connection
        ? (connection.endpoint?.value ?? null)
        : (job.target.endpoint ?? envEndpoint() ?? null),
    ),
    strategy: definition.name,
    identity: definition.features?.identity
      ? definition.features.identity(options as never)
      : options,
  };
}

export class JobState {
  /** The pending set, keyed by path relative to the source. */
  readonly pending: Map<string, PendingEntry>;
  cursor: unknown;
  lastRun?: LastRun;
  /** Multipart uploads started and not known to be gone, by upload id. */
  readonly openUploads: Map<string, OpenUpload>;
  multipartSweptAt?: string;
  /**
   * Fencing: checked before every write; throws (E_LEASE_LOST) once another run holds the job's
   * lease.
   */
  fence?: () => Promise<void>;
  source?: SourceRecord;
  /** Folder stamps per partition id, oldest first (bounded: see engine/folders.ts). */
  readonly partitions: Map<string, PartitionRecord>;
  /** The version the file had on disk when it was older than this release's (migrated on load). */
  readonly migratedFrom?: number;
  private readonly extra?: Record<string, unknown>;
  history: RunRecord[];
  lastSuccessAt?: string;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly document: StateDocument,
    readonly job: string,
    readonly fingerprint: Fingerprint,
    data: Partial<StateFile>,
    /** False until the state exists on disk. */
    public exists: boolean,
    migratedFrom?: number,
  ) {
    this.cursor = data.cursor ?? undefined;
    this.pending = new Map(Object.entries(data.pending ?? {}));
    this.lastRun = data.lastRun;
    this.openUploads = new Map(Object.entries(data.openUploads ?? {}));
    this.multipartSweptAt = data.multipartSweptAt;
    this.source = data.source;
    this.partitions = new Map(Object.entries(data.partitions ?? {}));
    this.extra = data.extra;
    this.migratedFrom = migratedFrom;
    this.history = Array.isArray(data.history) ? data.history : [];
    this.lastSuccessAt = data.lastSuccessAt;
  }

  /** Adds a finished run to the bounded history (saved with the next {@link save}). */
  recordRun(record: RunRecord): void {
    this.history = appendRun(this.history, record);
    this.lastSuccessAt = lastSuccessOf(this.history, this.lastSuccessAt);
  }

  /** Where the state is kept (a file path, or `s3://bucket/key`). */
  get file(): string {
    return this.document.where;
  }

  /** Loads the job's state (or an empty one) and checks that it belongs to this config. */
  static async load(job: ResolvedJob, connection?: Connection): Promise<JobState> {
    const document = stateDocument(job);
    const file = document.where;
    const fingerprint = fingerprintOf(job, connection);
    const read = await readState(document);
    if (!read) return new JobState(document, job.name, fingerprint, {}, false);
    const data = read.state;
    const differences = compareFingerprints(
      acceptProfileEndpoint(data.fingerprint, fingerprint, connection),
      fingerprint,
    );
    if (differences.length > 0) {
      throw new RecsyncError('E_STATE_MISMATCH', {
        message:
          `the state of job "${job.name}" (${file}) was written for another target or layout:\n` +
          differences.map((d) => `  ${d}`).join('\n') +
          '\nIts cursor would skip files that were never backed up to the new target, so ' +
          'it is not used.',
        hint:
          `to back up everything again to the new target: recsync state reset --job ${job.name}\n` +
          `to keep the cursor (same data, renamed place): recsync state adopt --job ${job.name}`,
      });
    }
    const parsed = job.strategy.definition.cursor.safeParse(data.cursor ?? undefined);
    if (data.cursor != null && !parsed.success) {
      throw new RecsyncError('E_STATE_CORRUPT', {
        message:
          `the saved cursor in ${file} is not valid for ${job.strategy.definition.name}: ` +
          `${JSON.stringify(data.cursor)}`,
        hint:
          `recsync state reset --job ${job.name} starts over (objects already in the bucket ` +
          'are not uploaded again)',
      });
    }
    const cursor = data.cursor == null ? undefined : parsed.data;
    return new JobState(
      document,
      job.name,
      fingerprint,
      { ...data, cursor },
      true,
      read.migratedFrom,
    );
  }

  /** Writes the state atomically. Calls are serialised; each writes the latest values. */
  save(): Promise<void> {
    this.writing = this.writing.then(async () => {
      await this.fence?.();
      const content = stateText({
        job: this.job,
        fingerprint: this.fingerprint,
        cursor: this.cursor ?? null,
        pending: Object.fromEntries(this.pending),
        ...(this.lastRun ? { lastRun: this.lastRun } : {}),
        ...(this.openUploads.size > 0 ? { openUploads: Object.fromEntries(this.openUploads) } : {}),
        ...(this.multipartSweptAt ? { multipartSweptAt: this.multipartSweptAt } : {}),
        ...(this.history.length > 0 ? { history: this.history } : {}),
        ...(this.lastSuccessAt ? { lastSuccessAt: this.lastSuccessAt } : {}),
        ...(this.source ? { source: this.source } : {}),
        ...(this.partitions.size > 0 ? { partitions: Object.fromEntries(this.partitions) } : {}),
        ...(this.extra ? { extra: this.extra } : {}),
      });
      try {
        await this.document.write(content);
        this.exists = true;
      } catch (error) {
        if (isRecsyncError(error)) throw error;
        throw new RecsyncError('E_STATE_WRITE', {
          message: `cannot write the state ${this.file}: ${(error as Error).message}`,
          hint: 'check free space and permissions of the state folder (config key stateDir)',
          cause: error,
        });
      }
    });
    return this.writing;
  }
}

/** Moves the job's state aside (`.bak`): the next run starts over. Returns the backup path. */
export async function resetState(job: StoreJob): Promise<string | undefined> {
  return stateDocument(job).moveAside();
}

/** Rewrites the state's fingerprint for the current config, keeping cursor and pending set. */
export async function adoptState(
  job: ResolvedJob,
  connection?: Connection,
): Promise<{ before: Fingerprint; after: Fingerprint } | undefined> {
  const document = stateDocument(job);
  const read = await readState(document);
  if (!read) return undefined;
  const after = fingerprintOf(job, connection);
  await document.write(stateText({ ...read.state, fingerprint: after }));
  return { before: read.state.fingerprint, after };
}

/**
 * Reads a state file without checking it against a config (for `status`), in the current version.
 */
export async function readStateFile(file: string): Promise<StateFile | undefined> {
  return (await readState(fileDocument(file)))?.state;
}

/** Reads any state document (a shard's, in a bucket) without checking it against a config. */
export async function readStateDocument(document: StateDocument): Promise<StateFile | undefined> {
  return (await readState(document))?.state;
}

async function readState(
  document: StateDocument,
): Promise<ReturnType<typeof parseStateText> | undefined> {
  const text = await document.read();
  if (text === undefined) return undefined;
  const read = parseStateText(text, document.where);
  // A state written before credentials were kept out of it is accepted; the next save rewrites it.
  const endpoint = withoutCredentials(read.state.fingerprint.endpoint ?? null);
  return {
    ...read,
    state: { ...read.state, fingerprint: { ...read.state.fingerprint, endpoint } },
  };
}

/**
 * States written before profile endpoints were resolved saved `endpoint: null` for an endpoint
 * that came from a profile's `endpoint_url`. Such a state is accepted once when the endpoint
 * now resolves from a profile (the only source that used to be recorded as null); the next
 * save records the endpoint. A null against an endpoint from the config or the environment is
 * still a mismatch: those were always recorded, so null there really meant AWS.
 */
function acceptProfileEndpoint(
  saved: Fingerprint,
  current: Fingerprint,
  connection?: Connection,
): Fingerprint {
  const fromProfile = connection?.endpoint?.from.startsWith('profile ') ?? false;
  return saved.endpoint === null && fromProfile ? { ...saved, endpoint: current.endpoint } : saved;
}

function compareFingerprints(saved: Fingerprint, current: Fingerprint): string[] {
  const fields: (keyof Fingerprint)[] = [
    'source',
    'bucket',
    'prefix',
    'endpoint',
    'strategy',
    'identity',
  ];
  return fields
    .filter((f) => stableJson(saved[f]) !== stableJson(current[f]))
    .map((f) => `${f}: state has ${stableJson(saved[f])}, config has ${stableJson(current[f])}`);
}

function stableJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
          )
        : v,
    ) ?? 'null'
  );
}
