/**
 * From a loaded config object to runnable jobs: zod validation, strategies and plugins named
 * by package (`{ use, with }`) imported and validated, paths made absolute. Never mutates its
 * input. Every problem is collected and reported at once with its path, the value and what
 * would be valid (E_CONFIG_INVALID, exit 2).
 */
import path from 'node:path';
import type { z } from 'zod';
import { RecsyncError } from '../errors.js';
import { isStrategyDefinition, isStrategyRef, type AnyStrategyDefinition, type RemoteCheckMode } from '../strategy.js';
import { isPlugin, type Plugin } from '../plugin.js';
import { configSchema, useRefSchema, type ParsedJob, type StateStoreConfig, type TargetConfig, type UseRef } from './schema.js';
import type { ShardSpec } from '../shard.js';
import { formatIssue, type ConfigProblem } from './problems.js';
import { resolveLeaseTiming, type LeaseTiming } from '../state/lock.js';

const DEFAULT_SETTLE_MS = 5 * 60_000;

export interface ResolvedStrategy {
  readonly definition: AnyStrategyDefinition;
  /** Parsed with the strategy's own schema (defaults applied). */
  readonly options: unknown;
}

export interface ResolvedJob {
  readonly name: string;
  /** Absolute source root. */
  readonly source: string;
  readonly target: TargetConfig;
  readonly strategy: ResolvedStrategy;
  /** With the settle time resolved: the job's, else the strategy's default, else 5 minutes. */
  readonly filters: ParsedJob['filters'] & { settle: number };
  readonly remoteCheck: RemoteCheckMode;
  /** `folders`: skip partitions whose folders are unchanged since their last complete check. */
  readonly lookbackCheck: 'folders' | 'list';
  readonly upload: ParsedJob['upload'];
  readonly followSymlinks: boolean;
  /** Config-wide plugins first, then the job's own. */
  readonly plugins: readonly Plugin[];
  /** Absolute folder for this job's state and lock. */
  readonly stateDir: string;
  /** Lease timeout and heartbeat (config `lease`, overridden by RECSYNC_LEASE_* variables). */
  readonly lease: LeaseTiming;
  /** Where state and leases live (config `state`; default: local files in `stateDir`). */
  readonly stateStore: StateStoreConfig;
  /** The job's `shards` setting, if any. */
  readonly shards?: number;
  /** This process's shard (set by `--shard`); undefined when the job runs whole. */
  readonly shard?: ShardSpec;
}

export interface ResolvedConfig {
  readonly jobs: readonly ResolvedJob[];
  /** `metrics.textfile`, made absolute. */
  readonly metrics?: { readonly textfile: string };
  /** The config file, when there is one. */
  readonly configPath?: string;
}

export interface ResolveOptions {
  /** Path of the config file; relative paths and `use` names resolve from its folder. */
  readonly configPath?: string;
  /** Used when there is no config file. */
  readonly cwd?: string;
  /** Imports a package name or a path as seen from `fromDir` (the CLI loads `.ts` too). */
  importModule(specifier: string, fromDir: string): Promise<unknown>;
}

export async function resolveConfig(raw: unknown, options: ResolveOptions): Promise<ResolvedConfig> {
  const baseDir = options.configPath ? path.dirname(path.resolve(options.configPath)) : path.resolve(options.cwd ?? '.');
  const parsed = configSchema.safeParse(raw);
  const problems: ConfigProblem[] = [];
  const load = (ref: UseRef, at: (string | number)[]) => importUse(ref, at, baseDir, options, problems);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => formatIssue(i, [], raw, undefined, configSchema)));
    // Strategy options are checked in the same pass, so a config needs one round of fixes, not two.
    await checkStrategiesOf(raw, load, problems);
    throw configError(problems, options.configPath);
  }

  const globalPlugins = await resolvePlugins(parsed.data.plugins, ['plugins'], load, problems);
  const stateRoot = path.resolve(baseDir, parsed.data.stateDir ?? '.recsync');
  const leaseConfig = parsed.data.lease ?? {};
  const lease = resolveLeaseTiming({
    ...(leaseConfig.timeout !== undefined ? { timeoutMs: leaseConfig.timeout } : {}),
    ...(leaseConfig.heartbeat !== undefined ? { heartbeatMs: leaseConfig.heartbeat } : {}),
  });

  const jobs: ResolvedJob[] = [];
  for (const [name, job] of Object.entries(parsed.data.jobs)) {
    const at = ['jobs', name];
    const strategy = await resolveStrategy(job.strategy, [...at, 'strategy'], load, problems, raw);
    const plugins = await resolvePlugins(job.plugins, [...at, 'plugins'], load, problems);
    if (!strategy) continue;
    jobs.push({
      name,
      source: path.resolve(baseDir, job.source),
      target: job.target,
      strategy,
      filters: { ...job.filters, settle: job.filters.settle ?? strategy.definition.defaultSettleMs ?? DEFAULT_SETTLE_MS },
      remoteCheck: job.remoteCheck ?? strategy.definition.defaultRemoteCheck ?? 'list',
      lookbackCheck: job.lookbackCheck,
      upload: job.upload,
      followSymlinks: job.followSymlinks,
      plugins: [...globalPlugins, ...plugins],
      stateDir: stateRoot,
      lease,
      stateStore: parsed.data.state ?? { store: 'local' },
      ...(job.shards !== undefined ? { shards: job.shards } : {}),
    });
  }
  if (problems.length > 0) throw configError(problems, options.configPath);
  const metrics = parsed.data.metrics && { textfile: path.resolve(baseDir, parsed.data.metrics.textfile) };
  return { jobs, configPath: options.configPath, ...(metrics ? { metrics } : {}) };
}

/** Validates the strategies of a config whose other parts failed validation. */
async function checkStrategiesOf(raw: unknown, load: Loader, problems: ConfigProblem[]): Promise<void> {
  const jobs = (raw as { jobs?: unknown } | null)?.jobs;
  if (typeof jobs !== 'object' || jobs === null) return;
  const reported = new Set(problems.map((p) => p.path.slice(0, 3).join('.')));
  for (const [name, job] of Object.entries(jobs as Record<string, unknown>)) {
    const value = (job as { strategy?: unknown } | null)?.strategy;
    if (reported.has(`jobs.${name}.strategy`)) continue;
    if (isStrategyRef(value) || useRefSchema.safeParse(value).success) {
      await resolveStrategy(value as ParsedJob['strategy'], ['jobs', name, 'strategy'], load, problems, raw);
    }
  }
}

type Loader = (ref: UseRef, at: (string | number)[]) => Promise<unknown>;

async function resolveStrategy(
  value: ParsedJob['strategy'],
  at: (string | number)[],
  load: Loader,
  problems: ConfigProblem[],
  raw: unknown,
): Promise<ResolvedStrategy | undefined> {
  let definition: AnyStrategyDefinition;
  let options: unknown;
  let optionsAt = at;
  if (isStrategyRef(value)) {
    ({ definition, options } = value);
  } else {
    const loaded = await load(value, [...at, 'use']);
    if (loaded === undefined) return undefined;
    const candidate = pickExport(loaded, isStrategyDefinition);
    if (!candidate) {
      problems.push({ path: [...at, 'use'], message: `${JSON.stringify(value.use)} does not export a recsync strategy (expected a default export made with defineStrategy)` });
      return undefined;
    }
    definition = candidate;
    options = value.with ?? {};
    optionsAt = [...at, 'with'];
  }
  const parsed = (definition.options as z.ZodType).safeParse(options);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => formatIssue(i, optionsAt, raw, options, definition.options as z.ZodType)));
    return undefined;
  }
  return { definition, options: parsed.data };
}

async function resolvePlugins(
  values: ParsedJob['plugins'],
  at: (string | number)[],
  load: Loader,
  problems: ConfigProblem[],
): Promise<Plugin[]> {
  const plugins: Plugin[] = [];
  for (const [i, value] of values.entries()) {
    if (isPlugin(value)) {
      plugins.push(value);
      continue;
    }
    const loaded = await load(value, [...at, i, 'use']);
    if (loaded === undefined) continue;
    const factory = pickExport(loaded, (v): v is (o: unknown) => unknown => typeof v === 'function');
    const plugin = factory ? factory(value.with ?? {}) : pickExport(loaded, isPlugin);
    if (isPlugin(plugin)) plugins.push(plugin);
    else problems.push({ path: [...at, i, 'use'], message: `${JSON.stringify(value.use)} does not export a plugin factory (a default export (options) => plugin)` });
  }
  return plugins;
}

async function importUse(
  ref: UseRef,
  at: (string | number)[],
  baseDir: string,
  options: ResolveOptions,
  problems: ConfigProblem[],
): Promise<unknown> {
  try {
    return await options.importModule(ref.use, baseDir);
  } catch (error) {
    problems.push({
      path: at,
      message: `cannot load ${JSON.stringify(ref.use)} from ${baseDir}: ${(error as Error).message}`,
      hint: 'install the package next to the config (npm i …) or give a path relative to the config file',
    });
    return undefined;
  }
}

function pickExport<T>(mod: unknown, test: (v: unknown) => v is T): T | undefined {
  if (test(mod)) return mod;
  const m = mod as { default?: unknown; strategy?: unknown };
  if (test(m?.default)) return m.default;
  const inner = (m?.default as { default?: unknown } | undefined)?.default;
  if (test(inner)) return inner;
  if (test(m?.strategy)) return m.strategy;
  return undefined;
}

function configError(problems: ConfigProblem[], configPath?: string): RecsyncError {
  const where = configPath ? ` in ${configPath}` : '';
  const lines = problems.map((p) => `  ${p.path.length ? p.path.join('.') : '(root)'}: ${p.message}${p.hint ? `\n    → ${p.hint.replace(/\n/g, '\n      ')}` : ''}`);
  return new RecsyncError('E_CONFIG_INVALID', {
    message: `invalid config${where} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    hint: 'fix the values above; `recsync plan` checks a config without changing anything',
  });
}
