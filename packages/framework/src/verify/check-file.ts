/**
 * The checks for one local file and its object, at the run's level:
 *
 * - `list`: the object exists (from the folder's listing) with the file's size.
 * - `head`: one HEAD: size; the checksum stored in metadata at upload against the local file's
 *   (from the checksum cache); the stored mtime; Object Lock retention against what the config
 *   asks for; the storage class.
 * - `deep`: one streamed GET instead of the HEAD: all of the above, plus the object's bytes
 *   hashed again and compared with the stored checksum — the only check that sees bytes changed
 *   inside an object. With `--subset`, objects outside this run's slices get `list` checks.
 */
import type { ObjectBody, ObjectDetails, ListedObject } from '../s3/reader.js';
import { ARCHIVE_CLASSES, isArchived } from '../s3/reader.js';
import { createHasher, storedChecksum, type ChecksumName } from '../checksum.js';
import { sameMtime } from '../s3/mtime.js';
import { objectLockFields } from '../s3/object-settings.js';
import { classifyS3Error, describeS3Error, targetError } from '../s3/classify.js';
import { describeError } from '../errors.js';
import type { Finding, FindingKind } from './findings.js';
import type { FolderChecksums, LocalStat } from './checksum-cache.js';
import type { VerifyContext } from './context.js';

export interface LocalFile extends LocalStat {
  /** Relative to the source, `/`-separated. */
  readonly path: string;
  /**
   * The raw bytes of `path` (base64) when a name in it is not valid UTF-8 (`path` is then its
   * key-safe form).
   */
  readonly rawPath?: string;
  /** Name inside its folder. */
  readonly name: string;
  readonly absolute: string | Buffer;
  readonly mtimeMs: number;
}

/**
 * What the listing said about the key: the object, nothing (absent), or `unknown` (not listed: HEAD
 * it).
 */
export type Listed = ListedObject | undefined | 'unknown';

export interface FileCheck {
  readonly findings: Finding[];
  readonly bytesRead: number;
  /** The object as HEAD or GET saw it (for repair decisions). */
  readonly exists: boolean;
}

export async function checkFile(
  ctx: VerifyContext,
  unit: string,
  file: LocalFile,
  key: string,
  listed: Listed,
  cache?: FolderChecksums,
): Promise<FileCheck> {
  const findings: Finding[] = [];
  const add = (
    kind: FindingKind,
    detail: string,
    extra: { expected?: string; actual?: string } = {},
  ) => findings.push({ kind, unit, key, path: file.path, detail, ...extra });
  try {
    const deep = ctx.level === 'deep' && (!ctx.subset || ctx.subset.has(key));
    const head = ctx.level === 'head' || deep;
    if (!head) {
      cache?.keep(file.name, file);
      const object =
        listed === 'unknown' ? await ctx.reader.headObject(key, { signal: ctx.signal }) : listed;
      if (!object) add('missing', 'no object for this file');
      else if (object.size !== file.size)
        add('size', 'the object is not the size of the local file', {
          expected: String(file.size),
          actual: String(object.size),
        });
      else if (object.storageClass) classNote(ctx, object.storageClass, add);
      return { findings, bytesRead: 0, exists: object !== undefined };
    }
    if (listed === undefined) {
      cache?.keep(file.name, file);
      add('missing', 'no object for this file');
      return { findings, bytesRead: 0, exists: false };
    }
    return await checkObject(ctx, { file, key, deep, cache, add, findings });
  } catch (error) {
    if (classifyS3Error(error).kind === 'fatal' && (error as { $metadata?: unknown }).$metadata) {
      throw targetError(error, {
        bucket: ctx.reader.bucket,
        endpoint: ctx.reader.endpoint,
        action: `checking ${key}`,
      });
    }
    const fromStore = Boolean((error as { $metadata?: unknown }).$metadata);
    add('error', `could not check: ${fromStore ? describeS3Error(error) : describeError(error)}`);
    return { findings, bytesRead: 0, exists: true };
  }
}

export type Adder = (
  kind: FindingKind,
  detail: string,
  extra?: { expected?: string; actual?: string },
) => void;

interface ObjectCheck {
  readonly file: LocalFile;
  readonly key: string;
  readonly deep: boolean;
  readonly cache?: FolderChecksums;
  readonly add: Adder;
  readonly findings: Finding[];
}

async function checkObject(ctx: VerifyContext, check: ObjectCheck): Promise<FileCheck> {
  const { file, key, add, findings } = check;
  let details: ObjectDetails | ObjectBody | undefined;
  if (check.deep) {
    try {
      details = await ctx.reader.getObject(key, { signal: ctx.signal });
    } catch (error) {
      if (!isArchived(error)) throw error;
      add('note', 'in an archive class: not read (restore it first to read it)');
      details = await ctx.reader.headObject(key, { signal: ctx.signal });
    }
  } else {
    details = await ctx.reader.headObject(key, { signal: ctx.signal });
  }
  if (!details) {
    check.cache?.keep(file.name, file);
    add('missing', 'no object for this file');
    return { findings, bytesRead: 0, exists: false };
  }
  const body = 'body' in details ? details.body : undefined;
  if (details.size !== file.size) {
    body?.destroy();
    check.cache?.keep(file.name, file);
    add('size', 'the object is not the size of the local file', {
      expected: String(file.size),
      actual: String(details.size),
    });
    return { findings, bytesRead: 0, exists: true };
  }
  const stored = storedChecksum(details.metadata);
  const algorithm = stored?.algorithm ?? ctx.algorithm;
  const objectHash = body ? await hashStream(body, algorithm) : undefined;
  const local = check.cache
    ? await check.cache.checksum(file.name, file.absolute, file, algorithm, ctx.openFlags)
    : undefined;
  if (!stored)
    add(
      'no-checksum',
      'the object carries no stored checksum (its metadata lost it, or another tool wrote it)',
    );
  if (stored && local !== undefined && local !== stored.value) {
    add(
      'local-differs',
      `the local file's ${algorithm} is not the one stored at upload (the file changed ` +
        'after it was backed up)',
      { expected: stored.value, actual: local },
    );
  }
  if (objectHash !== undefined) {
    const reference = stored?.value ?? local;
    if (reference !== undefined && objectHash !== reference) {
      add(
        'object-corrupt',
        stored
          ? `the object's bytes do not match the ${algorithm} stored at upload`
          : `the object's bytes are not the local file's (no stored checksum tells which changed)`,
        { expected: reference, actual: objectHash },
      );
    }
  }
  const mtime = details.metadata.mtime;
  if (mtime !== undefined && !sameMtime(mtime, { ms: file.mtimeMs, ns: file.mtimeNs })) {
    add('stale-mtime', "the stored mtime is not the local file's", {
      expected: String(Number(file.mtimeNs) / 1e9),
      actual: mtime,
    });
  }
  retention(ctx, file, details, add);
  classNote(ctx, details.storageClass, add);
  return { findings, bytesRead: objectHash !== undefined ? details.size : 0, exists: true };
}

/** Object Lock retention against what the config asks for this file. */
export function retention(
  ctx: VerifyContext,
  file: Pick<LocalFile, 'path' | 'mtimeMs'>,
  details: Pick<ObjectDetails, 'retainUntil' | 'lastModified'>,
  add: Adder,
): void {
  const lock = ctx.job.target.objectLock;
  if (!lock) return;
  let expected: Date | undefined;
  try {
    const now = details.lastModified ?? ctx.now;
    const { fields, past } = objectLockFields(lock, {
      mtimeMs: file.mtimeMs,
      partitionStart: ctx.partitionStart(file.path),
      now,
    });
    if (past) return;
    expected = fields.ObjectLockRetainUntilDate
      ? new Date(fields.ObjectLockRetainUntilDate)
      : undefined;
  } catch {
    return; // no partition date for this file: nothing to compare with
  }
  if (!expected || expected.getTime() <= ctx.now.getTime()) return;
  const actual = details.retainUntil;
  // A second of slack: stores keep retain-until dates at second precision.
  if (!actual || actual.getTime() < expected.getTime() - 1000) {
    add(
      'retention-short',
      actual ? 'retained for less long than the config asks' : 'no Object Lock retention',
      { expected: expected.toISOString(), actual: actual?.toISOString() ?? 'none' },
    );
  }
}

/** A note when the object is in another storage class than configured. */
export function classNote(ctx: VerifyContext, actual: string | undefined, add: Adder): void {
  const configured = ctx.job.target.storageClass ?? 'STANDARD';
  const is = actual ?? 'STANDARD';
  if (is === configured) return;
  const archive = ARCHIVE_CLASSES.has(is)
    ? ': an archive class, it needs a restore request before it can be read'
    : '';
  add('note', `storage class ${is} (configured: ${configured})${archive}`);
}

async function hashStream(
  body: AsyncIterable<Uint8Array>,
  algorithm: ChecksumName,
): Promise<string> {
  const hasher = await createHasher(algorithm);
  for await (const chunk of body) hasher.update(chunk);
  return hasher.digest().toString('base64');
}
