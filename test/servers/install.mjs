#!/usr/bin/env node
// Installs the tests' second S3 server (fauxqs with its own Node 22, both from npm) into
// test/servers/fauxqs when it is missing. Kept apart from the workspace: node@22 there must
// never shadow the Node that runs recsync.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./fauxqs/', import.meta.url));
if (
  !existsSync(`${dir}node_modules/node/bin/node`) ||
  !existsSync(`${dir}node_modules/fauxqs/package.json`)
) {
  console.error('installing the test server fauxqs (and Node 22 to run it) from npm…');
  // Under `npm test` the workspace's engine-strict=true arrives as npm_config_engine_strict and
  // would override the folder's own .npmrc: node@22 and fauxqs declare Node >= 22 on purpose.
  const env = {
    ...process.env,
    npm_config_engine_strict: 'false',
    NPM_CONFIG_ENGINE_STRICT: 'false',
  };
  execFileSync('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
}
