#!/usr/bin/env node
// Node 22.1+ caches compiled code on disk: later runs start faster (a cron job runs the same
// code every time). Older Node versions have no such API and start as before.
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
  // The bundle (scripts/bundle.mjs): oclif first; a command's code loads when it runs.
  const { execute } = await import('../dist/bundle/main.js');
  await execute({ dir: import.meta.url });
}
