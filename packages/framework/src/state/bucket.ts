/**
 * State and leases as small objects in a bucket (`state: { store: 's3', bucket?, prefix }`), for
 * pods that keep nothing between runs.
 *
 * Every write is conditional, so two writers cannot both win: a document or lease is created
 * with `If-None-Match: *` and replaced with `If-Match: <ETag it last saw>`; a lease is removed
 * with a `DeleteObject` carrying `If-Match`. A store that ignores these headers would let two
 * pods hold the same lease, so {@link BucketStore.probe} checks them at every start (a pod keeps
 * nothing, so nothing can be remembered) and the mode is refused (E_STATE_STORE_UNSAFE, exit 2)
 * rather than risked.
 *
 * A lease's age comes from the store's own clock: the `Date` of the response that read it minus
 * the object's `LastModified` (both written by the store), never a pod's clock.
 *
 * Cost per run: 5 requests for the probe, 1–2 to take the lease, 1 per heartbeat (every 15 s by
 * default), 1 to read the state, 1 per saved partition, 1 to release the lease.
 */
import { randomBytes } from 'node:crypto';
import { REQUEST_ATTEMPTS } from '../limits.js';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ResolvedJob } from '../config/resolve.js';
import { RecsyncError } from '../errors.js';
import { classifyS3Error, targetError } from '../s3/classify.js';
import { clientConfig } from '../s3/target.js';
import { parseLease, serializeLease, type LeaseBackend, type LeaseSnapshot } from './lock.js';
import type { StateDocument } from './documents.js';

type BucketJob = Pick<ResolvedJob, 'stateStore' | 'target'>;

export interface BucketStore {
  where(name: string): string;
  document(name: string): StateDocument;
  lease(name: string): LeaseBackend;
  /** Names (below the prefix) that start with `start`. */
  list(start: string): Promise<string[]>;
  /** Refuses a store that does not enforce conditional writes (once per process). */
  probe(): Promise<void>;
}

const stores = new Map<string, BucketStore>();

/** The bucket store of a job (one per bucket, prefix and endpoint in a process). */
export function bucketStore(job: BucketJob): BucketStore {
  if (job.stateStore.store !== 's3') throw new Error('not a bucket state store');
  const bucket = job.stateStore.bucket ?? job.target.bucket;
  const prefix = job.stateStore.prefix;
  const id = JSON.stringify([
    bucket,
    prefix,
    job.target.endpoint ?? null,
    job.target.profile ?? null,
  ]);
  let store = stores.get(id);
  if (!store) stores.set(id, (store = createBucketStore(job.target, bucket, prefix)));
  return store;
}

interface Read {
  readonly text: string;
  readonly etag: string;
  readonly ageMs?: number;
}

function createBucketStore(
  target: BucketJob['target'],
  bucket: string,
  prefix: string,
): BucketStore {
  let client: Promise<{ s3: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | undefined;
  const connect = () => (client ??= openClient(target));
  const where = (name: string) => `s3://${bucket}/${prefix}${name}`;
  const fail = (error: unknown, action: string): never => {
    if (isConflict(error)) throw error;
    const { kind } = classifyS3Error(error);
    if (kind === 'fatal' || kind === 'retryable')
      throw targetError(error, {
        bucket,
        endpoint: target.endpoint,
        action: `${action} (state store)`,
      });
    throw error;
  };
  const get = async (name: string): Promise<Read | undefined> => {
    const { s3, sdk } = await connect();
    try {
      const out = await s3.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: prefix + name }));
      const text = (await out.Body?.transformToString('utf8')) ?? '';
      const storeNow = Date.parse((out as { $storeDate?: string }).$storeDate ?? '');
      const ageMs =
        out.LastModified && Number.isFinite(storeNow)
          ? Math.max(0, storeNow - out.LastModified.getTime())
          : undefined;
      return { text, etag: out.ETag ?? '', ...(ageMs !== undefined ? { ageMs } : {}) };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      return fail(error, `reading ${where(name)}`);
    }
  };
  /**
   * Conditional PUT: `expect` undefined = create (If-None-Match: *), else If-Match. False on a
   * conflict.
   */
  const put = async (
    name: string,
    text: string,
    expect: string | undefined,
  ): Promise<string | false> => {
    const { s3, sdk } = await connect();
    try {
      const out = await s3.send(
        new sdk.PutObjectCommand({
          Bucket: bucket,
          Key: prefix + name,
          Body: text,
          ContentType: 'application/json',
          ...(expect === undefined ? { IfNoneMatch: '*' } : { IfMatch: expect }),
        }),
      );
      return out.ETag ?? '';
    } catch (error) {
      if (isConflict(error)) return false;
      return fail(error, `writing ${where(name)}`);
    }
  };
  const remove = async (name: string, expect: string | undefined): Promise<boolean> => {
    const { s3, sdk } = await connect();
    try {
      await s3.send(
        new sdk.DeleteObjectCommand({
          Bucket: bucket,
          Key: prefix + name,
          ...(expect !== undefined ? { IfMatch: expect } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      if (statusOf(error) === 404) return expect === undefined;
      return fail(error, `removing ${where(name)}`);
    }
  };
  let probed: Promise<void> | undefined;
  return {
    where,
    document: (name) => bucketDocument(name, where(name), { get, put, remove }),
    lease: (name) => bucketLease(name, where(name), { get, put, remove }),
    async list(start) {
      const { s3, sdk } = await connect();
      const names: string[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await s3.send(
            new sdk.ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix + start,
              ContinuationToken: token,
            }),
          );
          for (const o of page.Contents ?? []) if (o.Key) names.push(o.Key.slice(prefix.length));
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        return fail(error, `listing ${where(start)}`);
      }
      return names;
    },
    probe: () => (probed ??= probeConditionalWrites({ put, remove, where: where('') })),
  };
}

interface Ops {
  get(name: string): Promise<Read | undefined>;
  put(name: string, text: string, expect: string | undefined): Promise<string | false>;
  remove(name: string, expect: string | undefined): Promise<boolean>;
}

function bucketDocument(name: string, where: string, ops: Ops): StateDocument {
  let etag: string | undefined; // the version this run last read or wrote; undefined: none yet
  return {
    where,
    async read() {
      const found = await ops.get(name);
      etag = found?.etag;
      return found?.text;
    },
    async write(text) {
      const next = await ops.put(name, text, etag);
      if (next === false) {
        throw new RecsyncError('E_STATE_CONFLICT', {
          message:
            `the state ${where} was written by another run since this run ` +
            `${etag ? 'read' : 'found none'}; this run stops without overwriting it`,
          hint:
            'nothing is lost: files this run uploaded are found present by the next run. ' +
            'Check that no two runs use the same job and shard at once',
        });
      }
      etag = next;
    },
    async moveAside() {
      const found = await ops.get(name);
      if (!found) return undefined;
      const backup = `${name}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
      await ops.put(backup, found.text, undefined);
      await ops.remove(name, found.etag);
      return where.slice(0, where.length - name.length) + backup;
    },
  };
}

function bucketLease(name: string, where: string, ops: Ops): LeaseBackend {
  return {
    where,
    create: (record) => ops.put(name, serializeLease(record), undefined),
    async read(): Promise<LeaseSnapshot | undefined> {
      const found = await ops.get(name);
      if (!found) return undefined;
      const record = parseLease(found.text);
      return {
        version: found.etag,
        ...(record ? { record } : {}),
        ...(found.ageMs !== undefined ? { ageMs: found.ageMs } : {}),
      };
    },
    async swap(version, record) {
      if (record) return ops.put(name, serializeLease(record), version);
      return (await ops.remove(name, version)) ? '' : false;
    },
  };
}

/**
 * Five requests: create, create again (must fail), replace and delete with a wrong ETag (must
 * fail), delete.
 */
async function probeConditionalWrites(
  ops: Pick<Ops, 'put' | 'remove'> & { where: string },
): Promise<void> {
  const name = `.probe-${randomBytes(6).toString('hex')}`;
  const wrong = `"${'0'.repeat(32)}"`;
  const etag = await ops.put(name, 'recsync conditional-write probe\n', undefined);
  const ignored: string[] = [];
  try {
    if (etag === false) ignored.push('a first write with If-None-Match: * was refused');
    else {
      if ((await ops.put(name, 'again\n', undefined)) !== false)
        ignored.push('If-None-Match: * (a second create overwrote the first)');
      if ((await ops.put(name, 'wrong\n', wrong)) !== false)
        ignored.push('If-Match on PutObject (a write with a wrong ETag succeeded)');
      if (await ops.remove(name, wrong))
        ignored.push('If-Match on DeleteObject (a delete with a wrong ETag succeeded)');
    }
  } finally {
    await ops.remove(name, undefined).catch(() => undefined);
  }
  if (ignored.length === 0) return;
  throw new RecsyncError('E_STATE_STORE_UNSAFE', {
    message:
      `the state store ${ops.where} does not enforce conditional writes: ` +
      `${ignored.join('; ')}. Two runs could both take the same lease or overwrite each ` +
      `other's state, so state.store 's3' is refused`,
    hint:
      'use a store that enforces If-None-Match and If-Match (AWS S3 does), or keep state on ' +
      "a persistent volume: state: { store: 'local' } with stateDir",
  });
}

async function openClient(target: BucketJob['target']) {
  const sdk = await import('@aws-sdk/client-s3');
  const { base, requestHandler } = await clientConfig(target, { maxSockets: 4 });
  const s3 = new sdk.S3Client({ ...base, requestHandler, maxAttempts: REQUEST_ATTEMPTS });
  // The store's clock: the Date header of each response, kept on the output (lease age).
  s3.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const headers = (out.response as { headers?: Record<string, string> }).headers;
      if (headers?.date && out.output && typeof out.output === 'object')
        Object.assign(out.output, { $storeDate: headers.date });
      return out;
    },
    { step: 'initialize', name: 'recsyncStoreDate' },
  );
  return { s3, sdk };
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** 412 Precondition Failed, or 409 ConditionalRequestConflict (a concurrent conditional write). */
function isConflict(error: unknown): boolean {
  const status = statusOf(error);
  const name = (error as { name?: string }).name;
  return (
    status === 412 ||
    name === 'PreconditionFailed' ||
    (status === 409 && name === 'ConditionalRequestConflict')
  );
}
