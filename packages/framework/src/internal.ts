/**
 * @recsync/framework/internal: what recsync's own packages (the CLI, the strategies, the
 * repository's tests and benchmarks) share beyond the public API. Not public: anything here may
 * change or go in any release. Plugins and strategies outside this repository use
 * `@recsync/framework` (and `/testing`, `/containment`) only.
 *
 * It re-exports the public API, so a sibling package can import from one place.
 */
export * from './index.js';
export { addTo, emptyVerification } from './events.js';
export {
  configSchema,
  metricsSchema,
  jobSchema,
  targetSchema,
  filtersSchema,
  uploadSchema,
  type ParsedConfig,
  type ParsedJob,
} from './config/schema.js';
export { mapUnordered, runPool } from './concurrency.js';
export { JOURNAL_STAT_CONCURRENCY } from './limits.js';
export { parseBandwidth, bandwidthSchema } from './units.js';
export { globFilterPlugin, settlePlugin, type GlobFilterOptions } from './plugins/filters.js';
export { planStream, emptyPlanCounts, PLAN_ACTIONS } from './engine/plan.js';
export { partSizeFor, type OpenFile } from './engine/upload.js';
export {
  createS3Target,
  type Target,
  type TargetOptions,
  type RemoteObject,
  type PutRequest,
  type S3Target,
} from './s3/target.js';
export {
  connectionOf,
  resolveConnection,
  describeConnection,
  type Connection,
  type Setting,
  type SharedFiles,
} from './s3/connection.js';
export {
  createRateLimiter,
  throttleStream,
  type RateLimiter,
  type RateLimiterOptions,
} from './s3/rate-limit.js';
export {
  JobState,
  readStateFile,
  readStateDocument,
  resetState,
  adoptState,
  stateFilePath,
  lockFilePath,
  fingerprintOf,
  type Fingerprint,
  type PendingEntry,
  type StateFile,
  type LastRun,
  type SourceRecord,
} from './state/store.js';
export {
  acquireLease,
  breakLease,
  describeOwner,
  resolveLeaseTiming,
  DEFAULT_LEASE_TIMING,
  type Lease,
  type LeaseBackend,
  type LeaseOwner,
  type LeaseRecord,
  type LeaseSnapshot,
  type LeaseTiming,
} from './state/lock.js';
export { fileLeaseBackend } from './state/lease-file.js';
export {
  acquireJobLease,
  withJobLease,
  resetJobState,
  adoptJobState,
  unlockJob,
  jobLeaseBackend,
  type LeaseOptions,
} from './state/job-lease.js';
export { redactText, redactUrl } from './secrets.js';
export {
  shardOfKey,
  ownsKey,
  resolveShard,
  shardSuffix,
  SHARD_INDEX_VARIABLES,
  MAX_SHARDS,
  type ShardSpec,
  type ShardRequest,
} from './shard.js';
export { savedShardStates } from './state/shards.js';
export {
  stateDocument,
  siblingDocument,
  storeWhere,
  type StateDocument,
} from './state/documents.js';
export { STATE_VERSION } from './state/format.js';
export { writeFileAtomic } from './state/atomic.js';
export { HISTORY_LIMIT, outcomeOf, type RunRecord, type RunOutcome } from './state/history.js';
export { describeCursor, NO_CURSOR_TEXT } from './cursor-text.js';
export { checkRange } from './engine/range.js';
export { createProgressTracker, type ProgressSnapshot, type ProgressTracker } from './progress.js';
export { jobMetrics, type JobMetrics } from './metrics.js';
export { closestName } from './config/suggest.js';
export {
  openVerify,
  type VerifyOptions,
  type VerifyRun,
  type VerifySummary,
} from './verify/run.js';
export type { VerifyItem, FolderResult } from './verify/folder.js';
export type { VerifyLevel } from './verify/context.js';
export type { VerifyCost } from './verify/cost.js';
export {
  FINDING_KINDS,
  type Finding,
  type FindingKind,
  type FindingCounts,
} from './verify/findings.js';
export type { RepairOutcome } from './verify/repair.js';
export { parseSubset, sliceOf, type SubsetSpec } from './verify/subset.js';
export {
  ARCHIVE_CLASSES,
  type ObjectReader,
  type ListedObject,
  type ObjectDetails,
} from './s3/reader.js';
export {
  openRestore,
  type RestoreOptions,
  type RestoreRun,
  type RestoreSummary,
  type RestoreCounts,
} from './restore/run.js';
export type { RestoreEvent, RestoreOutcome } from './restore/object.js';
export { openManifestCheck, manifestFile } from './verify/manifest-check.js';
export { openInventoryCheck } from './verify/inventory.js';
