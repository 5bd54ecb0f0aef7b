/**
 * @recsync/framework: the public API for configs, strategies and plugins, and the engine's entry
 * points (plan, sync). Everything exported here is listed in test/api/framework.api.md and
 * described in docs/plugins.md or the package README. `@recsync/framework/internal` holds what
 * recsync's own packages share beyond this (not public: it changes without notice).
 */

// Strategies.
export * from './strategy.js';
export type { FolderSink, FolderStamp } from './engine/folders.js';
export {
  walkFiles,
  walkUndecodable,
  toPosix,
  IncompleteWalkError,
  type WalkOptions,
  type WalkSkipCounts,
} from './fs/walk.js';
export {
  isInside,
  isInsideBytes,
  relativeInside,
  followLink,
  pathRefusal,
  keyProblem,
  type LinkTarget,
  type Refusal,
  type RefusalCode,
} from './fs/containment.js';
export { compileGlob, compilePathRules, type PathRules } from './fs/globs.js';

// Plugins, hooks and the events they carry.
export { definePlugin, isPlugin, type Plugin, type PluginContext } from './plugin.js';
export {
  createHooks,
  type Hooks,
  type SkipDecision,
  type PartitionInfo,
  type FilterContext,
  type FileEvent,
  type WarningEvent,
} from './hooks.js';
export {
  FILE_OUTCOMES,
  emptyCounts,
  type FileOutcome,
  type Tally,
  type OutcomeCounts,
  type RunInfo,
  type PartitionSummary,
  type VerificationCounts,
  type MultipartReport,
  type RunStats,
} from './events.js';
export type { PlanItem, PlanFile, PlanAction, PlanCounts } from './engine/plan.js';

// Errors.
export * from './errors.js';

// Configs and running them.
export {
  defineConfig,
  type RecsyncConfig,
  type JobConfig,
  type TargetConfig,
  type UseRef,
} from './config/schema.js';
export {
  resolveConfig,
  type ResolvedConfig,
  type ResolvedJob,
  type ResolvedStrategy,
  type ResolveOptions,
} from './config/resolve.js';
export { openPlan, syncJob, type PlanRun } from './engine/run.js';
export type { RunOptions } from './engine/prepare.js';

// Option values.
export {
  parseDuration,
  parseSize,
  formatBytes,
  formatDuration,
  durationSchema,
  sizeSchema,
} from './units.js';
/**
 * The zod instance the framework validates with: strategies and plugins declare their schemas with
 * it.
 */
export { z } from 'zod';
