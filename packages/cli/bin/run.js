#!/usr/bin/env node
// Node 22.1+ caches compiled code on disk: later runs start faster (a cron job runs the same
// code every time). Older Node versions have no such API: there the CLI keeps its own code
// cache (bin/code-cache.js).
import module from 'node:module';

module.enableCompileCache?.();
if (process.argv[2] === '--version') {
  // What oclif prints for --version (its Config.userAgent), without loading oclif: the
  // command line's most frequent health check answers in about the time Node takes to start.
  const { readFileSync } = await import('node:fs');
  const os = await import('node:os');
  const { isWsl } = await import('../dist/bundle/platform.js');
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const arch = os.arch() === 'ia32' ? 'x86' : os.arch();
  const platform = isWsl ? 'wsl' : os.platform();
  process.stdout.write(
    `${pjson.name}/${pjson.version} ${platform}-${arch} node-${process.version}\n`,
  );
} else {
  // The SDK release pinned in the lockfile supports Node 20; its notice about future releases
  // would otherwise be printed by every run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (module.enableCompileCache) {
    // The bundle (scripts/bundle.mjs): oclif first; a command's code loads when it runs.
    const { execute } = await import('../dist/bundle/main.js');
    await execute({ dir: import.meta.url });
  } else {
    // The same code as one CommonJS file, compiled with a V8 code cache (bin/code-cache.js).
    // oclif loads the commands, and a config its `@recsync/*` imports, from the small files
    // next to it that hand out this instance's parts.
    const { readFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const { load } = await import('./code-cache.js');
    const cli = load(fileURLToPath(new URL('../dist/bundle/cjs/cli.cjs', import.meta.url)));
    globalThis[Symbol.for('recsync.cli')] = cli;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    for (const target of [pjson.oclif.commands, pjson.oclif.hooks.command_not_found])
      target.target = './dist/bundle/cjs/commands.js';
    await cli.main.execute({ loadOptions: { root, pjson } });
  }
}
