/**
 * Finds and loads `recsync.config.*` (cosmiconfig), then validates it (framework).
 *
 * Search: from the working directory up (`searchStrategy: 'global'`), in the order of
 * {@link SEARCH_PLACES}; `--config PATH` skips the search. `.ts/.mts/.cts` and `.js/.mjs/.cjs`
 * load through jiti: no `typescript` package needed at run time, clear syntax errors, a disk
 * cache that keeps start-up fast. `@recsync/*` imports in a config resolve to this CLI's own
 * packages when the config's folder has none installed (a config in /etc/recsync works with a
 * global install). A config that cannot be loaded says why: the import that is missing, the
 * syntax error, or the error its code threw.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cosmiconfig, type Loader } from 'cosmiconfig';
import { RecsyncError, resolveConfig, type ResolvedConfig } from '@recsync/framework';

export const SEARCH_PLACES = [
  'package.json',
  'recsync.config.ts',
  'recsync.config.mts',
  'recsync.config.cts',
  'recsync.config.js',
  'recsync.config.mjs',
  'recsync.config.cjs',
  'recsync.config.json',
  'recsync.config.yaml',
  'recsync.config.yml',
];

const OWN_PACKAGES = [
  '@recsync/framework',
  '@recsync/strategy-date',
  '@recsync/strategy-mtime',
  '@recsync/strategy-journal',
];

/** True in the CLI's bundle (scripts/bundle.mjs defines it), where this file is a chunk. */
declare const RECSYNC_BUNDLE: boolean | undefined;

/**
 * Where a config's `@recsync/*` imports go: the copies the commands themselves run, so a config
 * and the CLI share one instance of each. In the bundle these are its entry files next to this
 * chunk (`framework.js`, `strategy-date.js`, …); otherwise the installed packages.
 */
function ownPackages(): Record<string, string> {
  const alias: Record<string, string> = {};
  if (typeof RECSYNC_BUNDLE !== 'undefined' && RECSYNC_BUNDLE) {
    for (const name of OWN_PACKAGES)
      alias[name] = fileURLToPath(
        new URL(`./${name.slice('@recsync/'.length)}.js`, import.meta.url),
      );
    return alias;
  }
  const require = createRequire(import.meta.url);
  for (const name of OWN_PACKAGES) {
    try {
      alias[name] = require.resolve(name);
    } catch {
      continue; // not installed with this CLI: left to normal resolution
    }
    // An alias matches by prefix: each subpath entry (`/testing`, `/containment`) needs its own.
    const manifest = require(`${name}/package.json`) as { exports?: Record<string, unknown> };
    for (const key of Object.keys(manifest.exports ?? {})) {
      if (key === '.' || key === './package.json') continue;
      const subpath = `${name}/${key.slice(2)}`;
      try {
        alias[subpath] = require.resolve(subpath);
      } catch {
        // an entry this build does not have
      }
    }
  }
  return alias;
}

type Jiti = typeof import('jiti');

function createImporter() {
  // jiti's CommonJS build, required when a config is first loaded: importing it as an ES module
  // would make Node scan its 190 KB for export names on every start.
  const { createJiti } = createRequire(import.meta.url)('jiti') as Jiti;
  return createJiti(import.meta.url, { alias: ownPackages(), interopDefault: true });
}

let jiti: ReturnType<Jiti['createJiti']> | undefined;
const importer = () => (jiti ??= createImporter());

const tsLoader: Loader = async (filepath) => importer().import(filepath, { default: true });

/** Imports a package name or a path as seen from `fromDir`. */
export async function importModule(specifier: string, fromDir: string): Promise<unknown> {
  if (specifier.startsWith('.') || path.isAbsolute(specifier))
    return importer().import(path.resolve(fromDir, specifier));
  let resolved: string;
  try {
    resolved = createRequire(path.join(fromDir, 'noop.js')).resolve(specifier);
  } catch {
    return importer().import(specifier); // this CLI's own dependencies (the built-in strategies)
  }
  return importer().import(resolved);
}

export async function loadConfig(options: {
  configPath?: string;
  cwd: string;
}): Promise<ResolvedConfig> {
  const explorer = cosmiconfig('recsync', {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'global',
    // JavaScript configs too: the same aliases for `@recsync/*` and the same clear errors.
    loaders: {
      '.ts': tsLoader,
      '.mts': tsLoader,
      '.cts': tsLoader,
      '.js': tsLoader,
      '.mjs': tsLoader,
      '.cjs': tsLoader,
    },
  });
  let result;
  try {
    result = options.configPath
      ? await explorer.load(path.resolve(options.cwd, options.configPath))
      : await explorer.search(options.cwd);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      throw new RecsyncError('E_CONFIG_NOT_FOUND', {
        message: `config file not found: ${options.configPath}`,
        hint: 'check the --config path',
      });
    }
    throw loadError(error, options.configPath);
  }
  if (!result || result.isEmpty) {
    throw new RecsyncError('E_CONFIG_NOT_FOUND', {
      message: result?.isEmpty
        ? `the config ${result.filepath} is empty`
        : `no recsync config found in ${options.cwd} or its parent folders`,
      hint:
        'create recsync.config.ts (see examples/ in the recsync repository) or pass --config ' +
        'PATH',
    });
  }
  const raw = unwrapDefault(result.config);
  return resolveConfig(raw, { configPath: result.filepath, importModule });
}

/**
 * Why a config file could not be loaded: a missing import, a syntax error, or an error it threw.
 */
function loadError(error: unknown, configPath: string | undefined): RecsyncError {
  const e = error as NodeJS.ErrnoException;
  const where = configPath ? ` ${configPath}` : '';
  const missing = /Cannot find (?:module|package) ['"]([^'"]+)['"]/.exec(e.message ?? '')?.[1];
  if (missing) {
    const from = /imported from (\S+)/.exec(e.message)?.[1];
    return new RecsyncError('E_CONFIG_LOAD', {
      message:
        `the config${where} imports ${JSON.stringify(missing)}, which cannot be ` +
        `found${from ? ` (imported from ${from})` : ''}`,
      hint:
        'install it next to the config (npm i ' +
        `${missing.startsWith('.') || missing.startsWith('/') ? '…' : packageName(missing)}) ` +
        'or fix the import path; @recsync/* packages come with the CLI',
      cause: error,
    });
  }
  const syntax =
    e.name === 'SyntaxError' || /SyntaxError|Unexpected token|ParseError/.test(e.message ?? '');
  return new RecsyncError('E_CONFIG_LOAD', {
    message: `cannot load the config${where}: ${e.message}`,
    hint: syntax
      ? 'fix the syntax error above'
      : 'the config threw this error while it was evaluated: fix the code above',
    cause: error,
  });
}

/** `@scope/pkg/sub/path` → `@scope/pkg`; `pkg/sub` → `pkg`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function unwrapDefault(value: unknown): unknown {
  const v = value as { default?: unknown; __esModule?: boolean } | null;
  return v &&
    typeof v === 'object' &&
    'default' in v &&
    Object.keys(v).every((k) => k === 'default' || k === '__esModule')
    ? v.default
    : value;
}
