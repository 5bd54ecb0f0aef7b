#!/usr/bin/env node
// Node 22.1+ caches compiled code on disk: later runs start faster (a cron job runs the same
// code every time). Older Node versions have no such API and start as before.
import module from 'node:module';

module.enableCompileCache?.();
// The SDK release pinned in the lockfile supports Node 20; its notice about future releases
// would otherwise be printed by every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The bundle (scripts/bundle.mjs): oclif first; a command's code loads when it runs.
const { execute } = await import('../dist/bundle/main.js');
await execute({ dir: import.meta.url });
