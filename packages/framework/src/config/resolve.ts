/**
 * From a loaded config object to runnable jobs: zod validation, strategies and plugins named
 * by package (`{ use, with }`) imported and validated, paths made absolute. Never mutates its
 * input. Every problem is collected and reported at once with its path, the value and what
 * would be valid (E_CONFIG_INVALID, exit 2).
 */
import path from 'node:path';
import type { z } from 'zod';
import { describeError, RecsyncError } from '../errors.js';
import {
  isStrategyDefinition,
  isStrategyRef,
  type AnyStrategyDefinition,
  type RemoteCheckMode,
} from '../strategy.js';
import { isPlugin, type Plugin } from '../plugin.js';
import {
  configSchema,
  useRefSchema,
  type ParsedJob,
  type StateStoreConfig,
  type TargetConfig,
  type UseRef,
} from './schema.js';
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

export async function resolveConfig(
  raw: unknown,
  options: ResolveOptions,
): Promise<ResolvedConfig> {
  const baseDir = options.configPath
    ? path.dirname(path.resolve(options.configPath))
    : path.resolve(options.cwd ?? '.');
  const parsed = configSchema.safeParse(raw);
  const problems: ConfigProblem[] = [];
  const load = (ref: UseRef, at: (string | number)[]) =>
    importUse(ref, at, baseDir, options, problems);
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.map((i) => formatIssue(i, [], raw, undefined, configSchema)),
    );
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
      filters: {
        ...job.filters,
        settle:
          job.filters.settle ?? strategy.definition.features?.defaultSettleMs ?? DEFAULT_SETTLE_MS,
      },
      remoteCheck: job.remoteCheck ?? strategy.definition.features?.defaultRemoteCheck ?? 'list',
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
  const metrics = parsed.data.metrics && {
    textfile: path.resolve(baseDir, parsed.data.metrics.textfile),
  };
  return { jobs, configPath: options.configPath, ...(metrics ? { metrics } : {}) };
}

/** Validates the strategies of a config whose other parts failed validation. */
async function checkStrategiesOf(
  raw: unknown,
  load: Loader,
  problems: ConfigProblem[],
): Promise<void> {
  const jobs = (raw as { jobs?: unknown } | null)?.jobs;
  if (typeof jobs !== 'object' || jobs === null) return;
  const reported = new Set(problems.map((p) => p.path.slice(0, 3).join('.')));
  for (const [name, job] of Object.entries(jobs as Record<string, unknown>)) {
    const value = (job as { strategy?: unknown } | null)?.strategy;
    if (reported.has(`jobs.${name}.strategy`)) continue;
    if (isStrategyRef(value) || useRefSchema.safeParse(value).success) {
      await resolveStrategy(
        value as ParsedJob['strategy'],
        ['jobs', name, 'strategy'],
        load,
        problems,
        raw,
      );
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
      // A function first: a module namespace around a default-exported function can look like a
      // plugin.
      const other = pickExport(loaded, isFunction)
        ? 'a function'
        : pickExport(loaded, isPlugin)
          ? 'a plugin'
          : undefined;
      const found = other ? `it exports ${other}, not a strategy` : 'it exports no strategy';
      problems.push({
        path: [...at, 'use'],
        message: `${JSON.stringify(value.use)} is not a recsync strategy: ${found}`,
        hint:
          'a strategy package default-exports a definition made with defineStrategy; a ' +
          'plugin belongs under plugins',
      });
      return undefined;
    }
    definition = candidate;
    options = value.with ?? {};
    optionsAt = [...at, 'with'];
  }
  const parsed = (definition.options as z.ZodType).safeParse(options);
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.map((i) =>
        formatIssue(i, optionsAt, raw, options, definition.options as z.ZodType),
      ),
    );
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
    const plugin = pluginFrom(loaded, value, [...at, i], problems);
    if (plugin) plugins.push(plugin);
  }
  return plugins;
}

/**
 * The plugin a `{ use, with }` names: a default-exported factory called with `with`, or a
 * plugin object (which takes no options). Anything else is a problem that says what was found.
 */
function pluginFrom(
  loaded: unknown,
  ref: UseRef,
  at: (string | number)[],
  problems: ConfigProblem[],
): Plugin | undefined {
  const name = JSON.stringify(ref.use);
  const problem = (message: string, hint?: string) =>
    void problems.push({ path: [...at, 'use'], message, ...(hint ? { hint } : {}) });
  if (pickExport(loaded, isStrategyDefinition)) {
    problem(
      `${name} is a recsync strategy, not a plugin`,
      `name it as the job's strategy: "strategy": { "use": ${name} }`,
    );
    return undefined;
  }
  const factory = pickExport(loaded, isFunction);
  if (!factory) {
    const object = pickExport(loaded, isPlugin);
    if (object && ref.with !== undefined) {
      problem(
        `${name} exports a plugin object, which takes no options`,
        `remove "with", or export a factory (options) => plugin`,
      );
      return undefined;
    }
    const expected =
      'no plugin factory (a default export (options) => plugin) and no plugin object ({ ' +
      'name, apply })';
    if (!object) problem(`${name} is not a recsync plugin: it exports ${expected}`);
    return object;
  }
  let plugin: unknown;
  try {
    plugin = factory(ref.with ?? {});
  } catch (error) {
    const message = `the plugin factory of ${name} refused its options: ${describeError(error)}`;
    problems.push({ path: [...at, 'with'], message, hint: 'check the options under "with"' });
    return undefined;
  }
  if (isPlugin(plugin)) return plugin;
  if (typeof (plugin as { then?: unknown } | undefined)?.then === 'function')
    (plugin as Promise<unknown>).catch(() => undefined);
  problem(
    `${name} is not a recsync plugin: its default export returned ` +
      `${describeValue(plugin)}, not a plugin ({ name, apply })`,
  );
  return undefined;
}

const isFunction = (v: unknown): v is (options: unknown) => unknown => typeof v === 'function';

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof (value as { then?: unknown }).then === 'function')
    return 'a promise (a factory must return the plugin itself)';
  if (typeof value === 'object')
    return `an object with keys ${Object.keys(value).slice(0, 5).join(', ') || '(none)'}`;
  return `a ${typeof value}`;
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
    problems.push(loadProblem(ref.use, at, baseDir, error));
    return undefined;
  }
}

/** Tells "not there" (install it, fix the path) from "there but broken" (its own error). */
function loadProblem(
  specifier: string,
  at: (string | number)[],
  baseDir: string,
  error: unknown,
): ConfigProblem {
  const isPath = specifier.startsWith('.') || path.isAbsolute(specifier);
  const target = isPath ? path.resolve(baseDir, specifier) : specifier;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = describeError(error).split(/\n\s*Require stack:/)[0]!;
  const first = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
  const notFound =
    (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
    (first.includes(`'${target}'`) || first.includes(`'${specifier}'`));
  if (!notFound) {
    return {
      path: at,
      message: `${JSON.stringify(specifier)} was found but cannot be loaded: ${first}`,
      hint: isPath
        ? `fix the error in ${target}`
        : `reinstall it, or check that its version works with this recsync`,
    };
  }
  if (isPath) {
    return {
      path: at,
      message: `no module at ${target}`,
      hint: `a path in "use" is relative to the config file's folder (${baseDir})`,
    };
  }
  return {
    path: at,
    message: `the package ${JSON.stringify(specifier)} is not installed (looked from ${baseDir})`,
    hint: `install it next to the config: npm i ${specifier}; or give a path starting with ./`,
  };
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
  const lines = problems.map(
    (p) =>
      `  ${p.path.length ? p.path.join('.') : '(root)'}: ` +
      `${p.message}${p.hint ? `\n    → ${p.hint.replace(/\n/g, '\n      ')}` : ''}`,
  );
  return new RecsyncError('E_CONFIG_INVALID', {
    message:
      `invalid config${where} (${problems.length} ` +
      `problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    hint: 'fix the values above; `recsync plan` checks a config without changing anything',
  });
}
