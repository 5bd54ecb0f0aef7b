/**
 * The config schema: the single source of config types and defaults. Strict objects, so a
 * typo is an error, not a silently ignored key.
 */
import { z } from 'zod';
import { bandwidthSchema, durationSchema, sizeSchema } from '../units.js';
import { isStrategyRef, type StrategyRef } from '../strategy.js';
import { isPlugin, type Plugin } from '../plugin.js';
import { parseRetention } from '../s3/object-settings.js';

/** `{ use: 'package-or-path', with: {...} }`: a strategy or plugin named in a data-only config. */
export const useRefSchema = z.strictObject({
  use: z
    .string()
    .min(1, 'expected a package name or a path, e.g. "@recsync/strategy-date"')
    .describe(
      'Package name, or a path relative to the config file, whose default export is the ' +
        'strategy or plugin.',
    ),
  with: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Options passed to it (checked by its own schema).'),
});
export type UseRef = z.infer<typeof useRefSchema>;

const strategyRefSchema = z.custom<StrategyRef>(isStrategyRef, {
  message:
    'expected a strategy, e.g. dateFolders({ layout: "{yyyy}-{MM}-{dd}" }) or { use: ' +
    '"@recsync/strategy-date", with: {…} }',
});
const pluginSchema = z.custom<Plugin>(isPlugin, {
  message: 'expected a plugin ({ name, apply(hooks) }) or { use: "package", with: {…} }',
});

const checksumMode = z.enum(['when_supported', 'when_required']);

export const STORAGE_CLASSES = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'GLACIER_IR',
  'OUTPOSTS',
  'SNOW',
  'EXPRESS_ONEZONE',
] as const;

const keyPrefix = z
  .string()
  .refine(
    (p) => !p.startsWith('/'),
    'must not start with "/" (object keys are relative to the bucket)',
  )
  .refine(
    (p) => !p.split('/').some((s) => s === '..' || s === '.'),
    'must not contain "." or ".." segments',
  )
  // `a//b` makes keys with an empty segment: most tools (and file systems on restore) lose it.
  .refine(
    (p) =>
      !p
        .replace(/\/$/, '')
        .split('/')
        .some((s, _i, all) => s === '' && all.length > 1),
    'must not contain empty segments ("//")',
  )
  .transform((p) => (p === '' || p.endsWith('/') ? p : `${p}/`));

export const targetSchema = z
  .strictObject({
    bucket: z
      .string()
      .min(1, 'expected a bucket name')
      .refine(
        (b) => !b.includes('/'),
        'a bucket name has no "/": put a key prefix in target.prefix',
      )
      .describe('Bucket to back up into. recsync never creates it.'),
    /** Key prefix; a non-empty prefix is treated as a folder (`backup` → `backup/`). */
    prefix: keyPrefix
      .default('')
      .describe('Key prefix, treated as a folder ("backup" and "backup/" both give backup/KEY).'),
    region: z
      .string()
      .min(1)
      .optional()
      .describe(
        "AWS region. Default: the SDK's resolution (AWS_REGION, profile); us-east-1 with a " +
          'custom endpoint.',
      ),
    /** Named profile from the shared AWS config/credentials files. */
    profile: z
      .string()
      .min(1)
      .optional()
      .describe('Named profile from the shared AWS config and credentials files.'),
    endpoint: z
      .url({
        protocol: /^https?$/,
        message: 'expected an http:// or https:// URL such as "http://127.0.0.1:9000"',
      })
      .optional()
      .describe(
        'Endpoint of an S3-compatible store (MinIO, Ceph, R2, B2, Wasabi). Default: AWS, ' +
          'or AWS_ENDPOINT_URL_S3.',
      ),
    forcePathStyle: z
      .boolean()
      .optional()
      .describe(
        'Path-style requests (http://host/bucket/key), which most S3-compatible stores need.',
      ),
    /**
     * PEM file of extra CAs to trust (a company proxy or a private store); else AWS_CA_BUNDLE,
     * profile ca_bundle.
     */
    caBundle: z
      .string()
      .min(1)
      .optional()
      .describe(
        'PEM file of extra CAs to trust (a company proxy or a private store). Default: ' +
          "AWS_CA_BUNDLE, the profile's ca_bundle.",
      ),
    /** Default `when_required` when `endpoint` is set, else the SDK's own resolution. */
    requestChecksumCalculation: checksumMode
      .optional()
      .describe(
        'SDK flexible-checksum calculation. Default: when_required with an endpoint, else ' +
          "the SDK's resolution.",
      ),
    responseChecksumValidation: checksumMode
      .optional()
      .describe(
        'SDK flexible-checksum validation. Default: when_required with an endpoint, else ' +
          "the SDK's resolution.",
      ),
    /**
     * Checksum sent with each object (verified by the store on receipt) and kept in its metadata.
     * The CRC family has full-object checksums for multipart uploads; SHA1/SHA256 composite ones.
     */
    checksum: z
      .enum(['CRC32C', 'CRC32', 'CRC64NVME', 'SHA256', 'SHA1', 'none'])
      .default('CRC32C')
      .describe(
        'Checksum sent with each object and verified by the store on receipt; also kept in ' +
          "the object's metadata. CRC family: full-object for multipart; SHA1/SHA256: " +
          'composite.',
      ),
    storageClass: z
      .enum(STORAGE_CLASSES)
      .optional()
      .describe("Storage class of new objects. Default: the bucket's (STANDARD)."),
    /**
     * Write-once: `If-None-Match: *` on PutObject and CompleteMultipartUpload; an object already
     * under the key is never replaced (present when size and checksum match, else a conflict).
     */
    noOverwrite: z
      .boolean()
      .default(false)
      .describe(
        'Write-once: If-None-Match: * on every write; an existing object is never replaced.',
      ),
    /** Server-side encryption of every object (and the manifest). */
    sse: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('AES256') }),
        z.strictObject({
          type: z.literal('aws:kms'),
          keyId: z.string().min(1).optional(),
          bucketKey: z.boolean().optional(),
        }),
      ])
      .optional()
      .describe(
        'Server-side encryption: { type: "AES256" } or { type: "aws:kms", keyId?, bucketKey? }.',
      ),
    /**
     * Object Lock retention on every object: `retain` counted from the file's partition date
     * (date strategy), its mtime, or the upload time. Needs a bucket with Object Lock enabled.
     */
    objectLock: z
      .strictObject({
        mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
        /** Calendar units: `7y`, `18mo`, `12w`, `90d`. */
        retain: z.string().transform((value, ctx) => {
          const parsed = parseRetention(value);
          if (!parsed) {
            ctx.addIssue({
              code: 'custom',
              message:
                'expected a retention such as "7y", "18mo", "12w" or "90d", got ' +
                `${JSON.stringify(value)}`,
            });
            return z.NEVER;
          }
          return parsed;
        }),
        from: z.enum(['partition', 'mtime', 'upload']).default('upload'),
        legalHold: z.boolean().optional(),
      })
      .optional()
      .describe(
        'Object Lock retention: mode, retain (7y, 18mo, 90d), from partition | mtime | ' +
          'upload, legalHold.',
      ),
    /**
     * The audit manifest: always written under the state dir (the newest `keep` per job); with
     * `prefix`, also stored in the bucket as `<prefix><job>/<start>.jsonl` (from the bucket root).
     */
    manifest: z
      .strictObject({
        prefix: keyPrefix
          .refine((p) => p !== '', 'expected a key prefix such as "_recsync/manifests/"')
          .optional(),
        keep: z.number().int().min(1).max(100_000).default(90),
      })
      .optional()
      .describe(
        'Audit manifest per run: kept under the state dir (newest `keep`); with prefix, ' +
          'also stored in the bucket.',
      ),
    /** Extra user metadata on every object. */
    metadata: z
      .record(z.string(), z.string())
      .optional()
      .describe('Extra user metadata on every object.'),
  })
  .superRefine((target, ctx) => {
    if (target.objectLock && target.checksum === 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['checksum'],
        message:
          'must not be "none" with objectLock: S3 requires a checksum (or Content-MD5) on ' +
          'writes with retention; use CRC32C',
      });
    }
  });

export const filtersSchema = z.strictObject({
  include: z
    .array(z.string().min(1))
    .optional()
    .describe(
      'Globs (picomatch, relative to the source, "/"-separated); only matching files are ' +
        'taken. Default: all files.',
    ),
  exclude: z
    .array(z.string().min(1))
    .optional()
    .describe('Globs of files never to upload (a permanent skip: "excluded").'),
  /** Files modified more recently than this are deferred to the pending set. */
  settle: durationSchema
    .optional()
    .describe(
      'Files modified more recently than this are deferred to the pending set ("90s", ' +
        '"5m", "1h"). Default: the strategy\'s, else 5m.',
    ),
  minSize: sizeSchema.optional().describe('Smaller files are excluded ("1KiB", or bytes).'),
  maxSize: sizeSchema.optional().describe('Larger files are excluded ("5GiB", or bytes).'),
});

const MIN_PART = 5 * 1024 * 1024;
export const uploadSchema = z
  .strictObject({
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(32)
      .describe('Uploads in flight (--concurrency overrides it).'),
    multipartThreshold: sizeSchema
      .prefault('16MiB')
      .describe('Files at least this big are uploaded in parts (at least 5MiB).'),
    partSize: sizeSchema
      .prefault('8MiB')
      .describe(
        'Part size of multipart uploads (at least 5MiB); grows so no upload needs more ' +
          'than 10,000 parts.',
      ),
    /** Attempts per file within a run (1 = no retry). */
    attempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(4)
      .describe(
        'Attempts per file within a run, with exponential backoff and jitter (1 = no retry).',
      ),
    /** Parts of one multipart upload in flight (memory: this x partSize per upload). */
    partConcurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe('Parts of one multipart upload in flight.'),
    /**
     * Multipart uploads under the job's prefix older than this are aborted at the start of a
     * run (ListMultipartUploads); `false` turns the sweep off.
     */
    abandonedUploadAge: z
      .union([durationSchema, z.literal(false)])
      .prefault('2d')
      .describe(
        'Multipart uploads under the prefix older than this are aborted at the start of a ' +
          'run; false: off.',
      ),
    /** Upload bandwidth limit for the job, all concurrent uploads together (`50MiB/s`). */
    maxBandwidth: bandwidthSchema
      .optional()
      .describe('Upload bandwidth limit for the job, all uploads together (e.g. "50MiB/s").'),
  })
  .refine((u) => u.partSize >= MIN_PART, {
    message: 'must be at least 5MiB (an S3 limit)',
    path: ['partSize'],
  })
  .refine((u) => u.multipartThreshold >= MIN_PART, {
    message: 'must be at least 5MiB (an S3 limit on part sizes)',
    path: ['multipartThreshold'],
  });

export const jobNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'job names use letters, digits, ".", "_" and "-" (they name state files)',
  );

export const jobSchema = z.strictObject({
  /** Local folder to back up. Relative paths are relative to the config file. */
  source: z
    .string()
    .min(1, 'expected the folder to back up')
    .describe('Local folder to back up; a relative path is relative to the config file.'),
  target: targetSchema.describe('Where and how objects are written.'),
  strategy: z
    .union([strategyRefSchema, useRefSchema], {
      error:
        'expected a strategy, e.g. dateFolders({…}) or { use: "@recsync/strategy-date", ' +
        'with: {…} }',
    })
    .describe(
      'Where new files can be: dateFolders(…), mtimeCutoff(…), journal(…), a plugin, or { ' +
        'use, with }.',
    ),
  filters: filtersSchema.prefault({}).describe('Which files are taken, skipped or deferred.'),
  /** How "already in the bucket?" is answered (default: the strategy's, else `list`). */
  remoteCheck: z
    .enum(['list', 'head', 'none'])
    .optional()
    .describe(
      'How "already in the bucket?" is answered: one listing per partition, a HEAD per ' +
        "file, or not at all. Default: the strategy's, else list.",
    ),
  /**
   * `folders`: a partition whose folders are unchanged since its last complete check is taken
   * as done without being read or listed. `list`: every partition is read and checked again.
   */
  lookbackCheck: z
    .enum(['folders', 'list'])
    .default('folders')
    .describe(
      'Re-checks of completed partitions: "folders" takes a partition whose folders are ' +
        'unchanged since its last complete check as done ' +
        'without reading or listing it; "list" reads and checks every partition again.',
    ),
  upload: uploadSchema.prefault({}).describe('Concurrency, multipart and retries.'),
  followSymlinks: z
    .boolean()
    .default(false)
    .describe('Follow symlinks that stay inside the source (never to targets outside it).'),
  plugins: z
    .array(z.union([pluginSchema, useRefSchema]))
    .default([])
    .describe('Plugins for this job, after the top-level ones.'),
  /** Run as this many shards (`--shard I/N` or `--shard auto`); see ../shard.ts. */
  shards: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe(
      'Run the job as this many shards: each process runs one with --shard I/N or --shard ' +
        'auto (files by hash(object key) mod N).',
    ),
});

export const metricsSchema = z.strictObject({
  textfile: z
    .string()
    .min(1, 'expected a file path such as "/var/lib/node_exporter/textfile/recsync.prom"')
    .describe(
      'Prometheus text file written atomically after each sync (node_exporter textfile ' +
        'collector), with gauges labelled by job. ' +
        'A relative path is relative to the config file.',
    ),
});

/**
 * Where state and leases live: `local` (files in `stateDir`) or `s3` (small objects in a bucket,
 * written with conditional requests; for pods that keep nothing between runs).
 */
export const stateStoreSchema = z.discriminatedUnion('store', [
  z.strictObject({ store: z.literal('local').describe('State and leases as files in stateDir.') }),
  z.strictObject({
    store: z
      .literal('s3')
      .describe('State and leases as objects in a bucket, written with conditional requests.'),
    /** Default: each job's target bucket. */
    bucket: z
      .string()
      .min(1, 'expected a bucket name')
      .refine((b) => !b.includes('/'), 'a bucket name has no "/": put a key prefix in state.prefix')
      .optional()
      .describe(
        "Bucket for state objects (a bucket without Object Lock). Default: each job's " +
          'target bucket.',
      ),
    prefix: keyPrefix
      .refine((p) => p !== '', 'must not be empty: state objects need their own prefix')
      .default('_recsync/state/')
      .describe('Key prefix of the state objects. Default: _recsync/state/.'),
  }),
]);

/**
 * The run lease (one run per job); `RECSYNC_LEASE_TIMEOUT` / `RECSYNC_LEASE_HEARTBEAT` override it.
 */
export const leaseSchema = z.strictObject({
  /** A lease whose heartbeat did not change for this long (reader's clock) is taken over. */
  timeout: durationSchema
    .optional()
    .describe(
      "A lease whose heartbeat did not change for this long (reader's clock) is taken " +
        'over. Default: 2m.',
    ),
  /** How often a running sync renews its lease; at most half the timeout. */
  heartbeat: durationSchema
    .optional()
    .describe('How often a running sync renews its lease; at most half the timeout. Default: 15s.'),
});

export const configSchema = z.strictObject({
  /** Where state and locks live. Default: `.recsync` next to the config file. */
  stateDir: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Folder for state and locks; a relative path is relative to the config file. ' +
        'Default: .recsync next to it.',
    ),
  lease: leaseSchema
    .optional()
    .describe(
      'The run lease (one run per job); RECSYNC_LEASE_TIMEOUT and RECSYNC_LEASE_HEARTBEAT ' +
        'override it.',
    ),
  state: stateStoreSchema
    .optional()
    .describe(
      "Where state and leases live: { store: 'local' } (files in stateDir, the default) or " +
        "{ store: 's3', prefix, bucket? } (objects in a bucket, conditional writes).",
    ),
  jobs: z
    .record(jobNameSchema, jobSchema)
    .refine((jobs) => Object.keys(jobs).length > 0, 'expected at least one job')
    .describe(
      'The backup jobs, by name (letters, digits, ".", "_" and "-": they name state files).',
    ),
  /** Plugins applied to every job. */
  plugins: z
    .array(z.union([pluginSchema, useRefSchema]))
    .default([])
    .describe('Plugins applied to every job.'),
  /** Monitoring output. */
  metrics: metricsSchema.optional().describe('Monitoring output.'),
});

/** What users write. */
export type RecsyncConfig = z.input<typeof configSchema>;
export type JobConfig = z.input<typeof jobSchema>;
/** After defaults and parsing. */
export type ParsedConfig = z.output<typeof configSchema>;
export type ParsedJob = z.output<typeof jobSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type StateStoreConfig = z.output<typeof stateStoreSchema>;

/** Typed identity for `recsync.config.ts`. */
export function defineConfig(config: RecsyncConfig): RecsyncConfig {
  return config;
}
