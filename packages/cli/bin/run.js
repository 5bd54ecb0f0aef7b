#!/usr/bin/env node
// The SDK release pinned in the lockfile supports Node 20; its notice about future releases
// would otherwise be printed by every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
