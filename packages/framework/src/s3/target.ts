/**
 * The S3 target of a job: client construction from `target` settings and the few operations
 * the engine needs (preflight, list a prefix, head, put). The SDK is imported lazily, so
 * commands that never talk to S3 do not pay for loading it.
 *
 * Settings left unset fall through to the SDK's own resolution (credential chain, AWS_REGION,
 * AWS_ENDPOINT_URL_S3, AWS_REQUEST_CHECKSUM_CALCULATION, shared config), except that a custom
 * endpoint makes the checksum settings default to `when_required`: many S3-compatible stores
 * store the SDK's default aws-chunked bodies with the chunk framing inside the object.
 */
import type { S3Client, PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { TargetConfig } from '../config/schema.js';
import { classifyS3Error, targetError } from './classify.js';

export interface RemoteObject {
  readonly key: string;
  readonly size: number;
  /** The local mtime recorded in the object's metadata at upload (HEAD only), ms. */
  readonly mtimeMs?: number;
}

export interface PutRequest {
  readonly input: PutObjectCommandInput;
  /** Bytes to send; decides single PUT vs multipart. */
  readonly size: number;
  readonly multipart?: { partSize: number; checksumAlgorithm?: 'CRC32C' | 'CRC32' | 'SHA256' };
  readonly signal?: AbortSignal;
}

/** What the engine needs from a bucket. A fake can stand in for unit tests. */
export interface Target {
  readonly bucket: string;
  readonly endpoint?: string;
  /** Fails fast (fatal RecsyncError) when the bucket cannot be used. */
  preflight(options: { list: boolean; prefix: string }): Promise<void>;
  /** Every object under `prefix` (paginated; order not relied upon). */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<RemoteObject>;
  head(key: string, signal?: AbortSignal): Promise<RemoteObject | undefined>;
  /** Stores an object; resolves once the store answered 200. Returns the checksum the store reported, if any. */
  put(request: PutRequest): Promise<{ checksum?: string }>;
  destroy(): void;
}

export async function createS3Target(target: TargetConfig, options: { maxSockets: number }): Promise<Target> {
  const sdk = await import('@aws-sdk/client-s3');
  const { Agent: HttpAgent } = await import('node:http');
  const { Agent: HttpsAgent } = await import('node:https');
  const base = clientConfig(target, options.maxSockets, { HttpAgent, HttpsAgent });
  // Listing and HEAD retry inside the SDK. Single PUTs stream their body, which the SDK cannot
  // rewind, so they get one attempt here and are retried by the engine with a fresh stream.
  const client = new sdk.S3Client({ ...base, maxAttempts: 4 });
  const putClient = new sdk.S3Client({ ...base, maxAttempts: 1 });
  const context = { bucket: target.bucket, endpoint: target.endpoint };

  return {
    bucket: target.bucket,
    endpoint: target.endpoint,
    async preflight({ list, prefix }) {
      try {
        if (list) await client.send(new sdk.ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, MaxKeys: 1 }));
        else await client.send(new sdk.HeadBucketCommand({ Bucket: target.bucket }));
      } catch (error) {
        const { kind } = classifyS3Error(error);
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (!list && status === 403) return; // write-only credentials may not HEAD the bucket
        if (!list && status === 404) throw targetError(Object.assign(error as object, { name: 'NoSuchBucket' }), { ...context, action: 'checking the bucket' });
        throw kind === 'fatal' || kind === 'retryable' ? targetError(error, { ...context, action: 'checking the bucket' }) : error;
      }
    },
    async *list(prefix, signal) {
      let token: string | undefined;
      do {
        const page = await client.send(
          // Keys come back URL-encoded where the store supports it: XML cannot carry every
          // character a key may hold (a carriage return is read back as a line feed).
          new sdk.ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, ContinuationToken: token, EncodingType: 'url' }),
          { abortSignal: signal },
        );
        const encoded = page.EncodingType === 'url';
        for (const o of page.Contents ?? []) {
          if (o.Key !== undefined) yield { key: encoded ? decodeListedKey(o.Key) : o.Key, size: o.Size ?? 0 };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async head(key, signal) {
      try {
        const out = await client.send(new sdk.HeadObjectCommand({ Bucket: target.bucket, Key: key }), { abortSignal: signal });
        const mtime = Number(out.Metadata?.mtime);
        return { key, size: out.ContentLength ?? 0, ...(Number.isFinite(mtime) && out.Metadata?.mtime ? { mtimeMs: mtime * 1000 } : {}) };
      } catch (error) {
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
        throw error;
      }
    },
    async put({ input, size, multipart, signal }) {
      if (!multipart) {
        const out = await putClient.send(new sdk.PutObjectCommand(input), { abortSignal: signal });
        return { checksum: out.ChecksumCRC32C ?? out.ChecksumCRC32 ?? out.ChecksumSHA256 };
      }
      const { Upload } = await import('@aws-sdk/lib-storage');
      const abortController = new AbortController();
      const onAbort = () => abortController.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const algorithm = multipart.checksumAlgorithm;
      const upload = new Upload({
        client,
        params: {
          ...input,
          ...(algorithm ? { ChecksumAlgorithm: algorithm, ChecksumType: algorithm === 'SHA256' ? 'COMPOSITE' : 'FULL_OBJECT' } : {}),
        },
        partSize: multipart.partSize,
        queueSize: 4,
        leavePartsOnError: false,
        abortController,
      });
      try {
        const out = await upload.done();
        const checksum = algorithm === 'SHA256' ? undefined : (out.ChecksumCRC32C ?? out.ChecksumCRC32);
        return { checksum: size > 0 ? checksum : undefined };
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
    destroy() {
      client.destroy();
      putClient.destroy();
    },
  };
}

/**
 * The S3 client settings of a target (region, endpoint, profile, checksum modes, agents): one
 * place, shared by uploads and the bucket state store.
 */
export function clientConfig(
  target: Omit<TargetConfig, 'bucket'>,
  maxSockets: number,
  agents: { HttpAgent: typeof import('node:http').Agent; HttpsAgent: typeof import('node:https').Agent },
) {
  const { HttpAgent, HttpsAgent } = agents;
  const customEndpoint = target.endpoint ?? envEndpoint();
  const checksumDefault = customEndpoint ? 'when_required' : undefined;
  const mode = (v: string | undefined) => (v ? (v.toUpperCase() as 'WHEN_REQUIRED' | 'WHEN_SUPPORTED') : undefined);
  const agentOptions = { keepAlive: true, maxSockets: maxSockets };
  return {
    region: target.region ?? (customEndpoint && !process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION ? 'us-east-1' : undefined),
    endpoint: target.endpoint,
    forcePathStyle: target.forcePathStyle,
    profile: target.profile,
    requestChecksumCalculation: mode(target.requestChecksumCalculation ?? checksumDefault),
    responseChecksumValidation: mode(target.responseChecksumValidation ?? checksumDefault),
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: 10_000,
      requestTimeout: 300_000,
    },
  };
}

/** An endpoint set through the SDK's environment variables (it applies them itself). */
export function envEndpoint(): string | undefined {
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

/**
 * A key from a listing made with `encoding-type=url`: S3 encodes it like a form value (a space
 * as `+`, a literal `+` as `%2B`), as aws-cli decodes it too.
 */
export function decodeListedKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
