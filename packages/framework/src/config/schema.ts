/**
 * The config schema: the single source of config types and defaults. Strict objects, so a
 * typo is an error, not a silently ignored key.
 */
import { z } from 'zod';
import { durationSchema, sizeSchema } from '../units.js';
import { isStrategyRef, type StrategyRef } from '../strategy.js';
import { isPlugin, type Plugin } from '../plugin.js';

/** `{ use: 'package-or-path', with: {...} }`: a strategy or plugin named in a data-only config. */
export const useRefSchema = z.strictObject({
  use: z.string().min(1, 'expected a package name or a path, e.g. "@recsync/strategy-date"'),
  with: z.record(z.string(), z.unknown()).optional(),
});
export type UseRef = z.infer<typeof useRefSchema>;

const strategyRefSchema = z.custom<StrategyRef>(isStrategyRef, {
  message: 'expected a strategy, e.g. dateFolders({ layout: "{yyyy}-{MM}-{dd}" }) or { use: "@recsync/strategy-date", with: {…} }',
});
const pluginSchema = z.custom<Plugin>(isPlugin, {
  message: 'expected a plugin ({ name, apply(hooks) }) or { use: "package", with: {…} }',
});

const checksumMode = z.enum(['when_supported', 'when_required']);

export const STORAGE_CLASSES = [
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING',
  'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR', 'OUTPOSTS', 'SNOW', 'EXPRESS_ONEZONE',
] as const;

const keyPrefix = z
  .string()
  .refine((p) => !p.startsWith('/'), 'must not start with "/" (object keys are relative to the bucket)')
  .refine((p) => !p.split('/').some((s) => s === '..' || s === '.'), 'must not contain "." or ".." segments')
  // `a//b` makes keys with an empty segment: most tools (and file systems on restore) lose it.
  .refine((p) => !p.replace(/\/$/, '').split('/').some((s, i, all) => s === '' && all.length > 1), 'must not contain empty segments ("//")')
  .transform((p) => (p === '' || p.endsWith('/') ? p : `${p}/`));

export const targetSchema = z.strictObject({
  bucket: z
    .string()
    .min(1, 'expected a bucket name')
    .refine((b) => !b.includes('/'), 'a bucket name has no "/": put a key prefix in target.prefix'),
  /** Key prefix; a non-empty prefix is treated as a folder (`backup` → `backup/`). */
  prefix: keyPrefix.default(''),
  region: z.string().min(1).optional(),
  /** Named profile from the shared AWS config/credentials files. */
  profile: z.string().min(1).optional(),
  endpoint: z
    .url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL such as "http://127.0.0.1:9000"' })
    .optional(),
  forcePathStyle: z.boolean().optional(),
  /** Default `when_required` when `endpoint` is set, else the SDK's own resolution. */
  requestChecksumCalculation: checksumMode.optional(),
  responseChecksumValidation: checksumMode.optional(),
  /** Checksum sent with each object and verified by the store on receipt. */
  checksum: z.enum(['CRC32C', 'CRC32', 'SHA256', 'none']).default('CRC32C'),
  storageClass: z.enum(STORAGE_CLASSES).optional(),
  /** Extra user metadata on every object. */
  metadata: z.record(z.string(), z.string()).optional(),
});

export const filtersSchema = z.strictObject({
  include: z.array(z.string().min(1)).optional(),
  exclude: z.array(z.string().min(1)).optional(),
  /** Files modified more recently than this are deferred to the pending set. */
  settle: durationSchema.optional(),
  minSize: sizeSchema.optional(),
  maxSize: sizeSchema.optional(),
});

const MIN_PART = 5 * 1024 * 1024;
export const uploadSchema = z
  .strictObject({
    concurrency: z.number().int().min(1).max(1024).default(32),
    multipartThreshold: sizeSchema.prefault('16MiB'),
    partSize: sizeSchema.prefault('8MiB'),
    /** Attempts per file within a run (1 = no retry). */
    attempts: z.number().int().min(1).max(20).default(4),
  })
  .refine((u) => u.partSize >= MIN_PART, { message: 'must be at least 5MiB (an S3 limit)', path: ['partSize'] })
  .refine((u) => u.multipartThreshold >= MIN_PART, {
    message: 'must be at least 5MiB (an S3 limit on part sizes)',
    path: ['multipartThreshold'],
  });

export const jobNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'job names use letters, digits, ".", "_" and "-" (they name state files)');

export const jobSchema = z.strictObject({
  /** Local folder to back up. Relative paths are relative to the config file. */
  source: z.string().min(1, 'expected the folder to back up'),
  target: targetSchema,
  strategy: z.union([strategyRefSchema, useRefSchema], {
    error: 'expected a strategy, e.g. dateFolders({…}) or { use: "@recsync/strategy-date", with: {…} }',
  }),
  filters: filtersSchema.prefault({}),
  /** How "already in the bucket?" is answered (default: the strategy's, else `list`). */
  remoteCheck: z.enum(['list', 'head', 'none']).optional(),
  /**
   * `folders`: a partition whose folders are unchanged since its last complete check is taken
   * as done without being read or listed. `list`: every partition is read and checked again.
   */
  lookbackCheck: z.enum(['folders', 'list']).default('folders'),
  upload: uploadSchema.prefault({}),
  followSymlinks: z.boolean().default(false),
  plugins: z.array(z.union([pluginSchema, useRefSchema])).default([]),
  /** Run as this many shards (`--shard I/N` or `--shard auto`); see ../shard.ts. */
  shards: z.number().int().min(1).max(1000).optional(),
});

/**
 * Where state and leases live: `local` (files in `stateDir`) or `s3` (small objects in a bucket,
 * written with conditional requests; for pods that keep nothing between runs).
 */
export const stateStoreSchema = z.discriminatedUnion('store', [
  z.strictObject({ store: z.literal('local') }),
  z.strictObject({
    store: z.literal('s3'),
    /** Default: each job's target bucket. */
    bucket: z
      .string()
      .min(1, 'expected a bucket name')
      .refine((b) => !b.includes('/'), 'a bucket name has no "/": put a key prefix in state.prefix')
      .optional(),
    prefix: keyPrefix.refine((p) => p !== '', 'must not be empty: state objects need their own prefix').default('_recsync/state/'),
  }),
]);

/** The run lease (one run per job); `RECSYNC_LEASE_TIMEOUT` / `RECSYNC_LEASE_HEARTBEAT` override it. */
export const leaseSchema = z.strictObject({
  /** A lease whose heartbeat did not change for this long (reader's clock) is taken over. */
  timeout: durationSchema.optional(),
  /** How often a running sync renews its lease; at most half the timeout. */
  heartbeat: durationSchema.optional(),
});

export const configSchema = z.strictObject({
  /** Where state and locks live. Default: `.recsync` next to the config file. */
  stateDir: z.string().min(1).optional(),
  lease: leaseSchema.optional(),
  state: stateStoreSchema.optional(),
  jobs: z
    .record(jobNameSchema, jobSchema)
    .refine((jobs) => Object.keys(jobs).length > 0, 'expected at least one job'),
  /** Plugins applied to every job. */
  plugins: z.array(z.union([pluginSchema, useRefSchema])).default([]),
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
