#!/usr/bin/env node
// Bundles the CLI (after `tsc -b`) into dist/bundle/: a few files instead of the ~800 modules the
// command line loaded one by one (oclif, zod, the framework, the SDK), which was most of its
// start-up time.
//
//   main.js        oclif: all `--version` and `--help` load
//   commands.js    every command (oclif's explicit strategy) and the not-found hook
//   framework.js, strategy-*.js
//                  the packages a recsync.config.ts imports: the config loader points
//                  `@recsync/*` imports at these, so a config shares the commands' instance
//   scan.js        strategy-mtime's walker thread
//   platform.js    oclif's WSL test, for `recsync --version` (bin/run.js)
//   *-HASH.js      code shared by the above, and what is loaded only when needed (the AWS SDK)
//   cjs/           the same code as ONE CommonJS file (cjs/cli.cjs) for Node versions without
//                  `module.enableCompileCache` (Node 20): bin/run.js compiles it with a V8 code
//                  cache (bin/code-cache.js). Lazy parts stay in functions that run when needed.
//                  Next to it, small ES modules that hand out its parts: commands.js (oclif's
//                  target), framework.js and strategy-*.js (a config's `@recsync/*` imports),
//                  scan.js (starts the walker thread ../scan.js).
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const cli = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(path.join(cli, 'package.json'));
const outdir = path.join(cli, 'dist', 'bundle');
const pkg = (name, sub = '') =>
  path.join(path.dirname(require.resolve(`${name}/package.json`)), sub);

/**
 * `await import('cjs-package')` in a bundle would give a namespace whose only export is
 * `default` (esbuild cannot see a CommonJS module's names), where Node gives every name. Such
 * imports go through a small module that re-exports each name the package has, by name.
 */
const LAZY_COMMONJS = ['@aws-sdk/client-s3', 'prom-client'];
const lazyCommonJs = {
  name: 'lazy-commonjs',
  setup(b) {
    const names = new Map(
      LAZY_COMMONJS.map((n) => [
        n,
        Object.keys(require(n)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k)),
      ]),
    );
    b.onResolve({ filter: /^[@a-z]/ }, (args) =>
      args.kind === 'dynamic-import' && names.has(args.path)
        ? { path: args.path, namespace: 'lazy-commonjs' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-commonjs' }, (args) => ({
      contents: `export { ${names.get(args.path).join(', ')} } from ${JSON.stringify(args.path)};`,
      resolveDir: cli,
    }));
  },
};

/**
 * zod's `z.locales` holds its error messages in 40 languages: half of zod's code, parsed on every
 * start. recsync's messages are English (zod's default, `en`), so the bundle keeps that one.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer)
        ? { path: path.join(args.resolveDir, args.path), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

/** The `platform` entry: oclif's own `wsl-utils`, resolved from @oclif/core. */
const platformEntry = {
  name: 'platform-entry',
  setup(b) {
    b.onResolve({ filter: /^recsync:platform$/ }, () => ({
      path: 'platform',
      namespace: 'recsync',
    }));
    b.onLoad({ filter: /.*/, namespace: 'recsync' }, () => ({
      contents: "export { isWsl } from 'wsl-utils';",
      resolveDir: pkg('@oclif/core'),
    }));
  },
};

/**
 * The framework's error classification (s3/classify.js) imports three small functions from
 * `@smithy/core/retry`, whose index also re-exports the SDK's retry middleware: in a bundle
 * that pulls ~400 KB of @smithy/core into what every command loads. The functions' own module
 * is self-contained; classify.js imports it directly (the SDK keeps the index).
 */
const SMITHY_CLASSIFICATION = path.join(
  path.dirname(
    createRequire(require.resolve('@recsync/framework')).resolve('@smithy/core/package.json'),
  ),
  'dist-es/submodules/retry/service-error-classification/service-error-classification.js',
);
const smithyClassification = {
  name: 'smithy-classification',
  setup(b) {
    b.onResolve({ filter: /^@smithy\/core\/retry$/ }, (args) =>
      /[\\/]s3[\\/]classify\.js$/.test(args.importer) && existsSync(SMITHY_CLASSIFICATION)
        ? { path: SMITHY_CLASSIFICATION }
        : undefined,
    );
  },
};

await rm(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: {
    main: path.join(cli, 'dist', 'main.js'),
    commands: path.join(cli, 'dist', 'commands.js'),
    framework: require.resolve('@recsync/framework'),
    'strategy-date': require.resolve('@recsync/strategy-date'),
    'strategy-mtime': require.resolve('@recsync/strategy-mtime'),
    'strategy-journal': require.resolve('@recsync/strategy-journal'),
    // new URL('./scan.js', import.meta.url) in the walker finds it next to the chunk that starts it
    scan: pkg('@recsync/strategy-mtime', 'dist/walk/scan.js'),
    // `recsync --version` prints what oclif would without loading it (bin/run.js), with the
    // same WSL test oclif makes (the same module: this entry and oclif share its chunk)
    platform: 'recsync:platform',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  external: [
    // loaded from their own packages: oclif plugins (oclif finds them by package), jiti (loads
    // its own transform lazily), native code, and what a config may bring itself
    '@oclif/plugin-*',
    'jiti',
    '@node-rs/crc32',
    'typescript',
  ],
  define: { RECSYNC_BUNDLE: 'true' },
  // CommonJS modules in an ES module bundle still call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __recsyncCreateRequire } from 'node:module';\nconst require = __recsyncCreateRequire(import.meta.url);",
  },
  plugins: [lazyCommonJs, zodEnglishOnly, platformEntry, smithyClassification],
  logLevel: 'warning',
  metafile: true,
});
if (process.env.RECSYNC_BUNDLE_META) {
  await writeFile(process.env.RECSYNC_BUNDLE_META, JSON.stringify(result.metafile));
}

/**
 * The CommonJS build: every entry above in one file whose exports are the entries' namespaces.
 * `import.meta.url` is the file's own URL (the loader passes it), so the walker's `./scan.js`
 * and the config loader's `./framework.js` are the small files written next to it.
 */
const cjsdir = path.join(outdir, 'cjs');
const ENTRIES = {
  main: path.join(cli, 'dist', 'main.js'),
  commands: path.join(cli, 'dist', 'commands.js'),
  framework: require.resolve('@recsync/framework'),
  strategyDate: require.resolve('@recsync/strategy-date'),
  strategyMtime: require.resolve('@recsync/strategy-mtime'),
  strategyJournal: require.resolve('@recsync/strategy-journal'),
};
await mkdir(cjsdir, { recursive: true });
const cjs = await build({
  stdin: {
    contents: Object.entries(ENTRIES)
      .map(([name, file]) => `export * as ${name} from ${JSON.stringify(file)};`)
      .join('\n'),
    resolveDir: cli,
    sourcefile: 'recsync-cli.js',
  },
  outfile: path.join(cjsdir, 'cli.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['@oclif/plugin-*', 'jiti', '@node-rs/crc32', 'typescript'],
  define: { RECSYNC_BUNDLE: 'true', 'import.meta.url': '__recsyncFileUrl' },
  banner: { js: "const __recsyncFileUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [lazyCommonJs, zodEnglishOnly, smithyClassification],
  logLevel: 'warning',
  write: false,
});
// The loader compiles this file with vm.Script, whose `import()` would need a callback that
// Node 20 loses for functions restored from a code cache: the file's dynamic imports (oclif's
// plugins, jiti, optional packages) call the loader's own `import()` instead, which it passes in.
// The few characters beyond ASCII that esbuild leaves (in comments and a regular expression) are
// written as \u escapes: an ASCII file is read as Latin-1, without the ~20 ms of UTF-8 decoding
// 5 MB takes (a backslash before such a character would change its meaning: checked).
const cjsText = cjs.outputFiles[0].text;
if (/\\[\u0080-\uffff]/.test(cjsText))
  throw new Error('cli.cjs: a backslash before a non-ASCII character');
await writeFile(
  path.join(cjsdir, 'cli.cjs'),
  cjsText
    .replace(/(?<![\w$.'"`])import\(/g, '__recsyncImport(')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
);
/** An entry's export names (what the ES module build found). */
const exportsOf = (entry) =>
  Object.values(result.metafile.outputs).find(
    (o) => o.entryPoint && path.resolve(o.entryPoint) === entry,
  ).exports;
// ES modules (the CLI package's type) that hand out the loaded bundle's parts by name
const part = (name) => {
  const names = exportsOf(ENTRIES[name]);
  const named = names.filter((n) => n !== 'default');
  return [
    `const part = globalThis[Symbol.for('recsync.cli')].${name};`,
    `export const { ${named.join(', ')} } = part;`,
    ...(names.includes('default') ? ['export default part.default;'] : []),
    '',
  ].join('\n');
};
const PARTS = {
  'commands.js': part('commands'),
  'framework.js': part('framework'),
  'strategy-date.js': part('strategyDate'),
  'strategy-mtime.js': part('strategyMtime'),
  'strategy-journal.js': part('strategyJournal'),
  'scan.js': "import '../scan.js';\n",
};
for (const [name, contents] of Object.entries(PARTS))
  await writeFile(path.join(cjsdir, name), contents);
