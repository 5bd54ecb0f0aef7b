/**
 * Plugins: objects that tap hooks. A factory stores options; `apply()` registers taps and
 * nothing else. Built-in behaviour (include/exclude, settle time, stats) is written this way.
 */
import type { Hooks } from './hooks.js';

export interface PluginContext {
  /** Job name. */
  readonly job: string;
  /** Absolute source root of the job. */
  readonly source: string;
  readonly mode: 'plan' | 'sync';
}

export interface Plugin {
  readonly name: string;
  apply(hooks: Hooks, context: PluginContext): void;
}

/** Typed identity: declares a plugin. */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}

export function isPlugin(value: unknown): value is Plugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Plugin).name === 'string' &&
    typeof (value as Plugin).apply === 'function'
  );
}
