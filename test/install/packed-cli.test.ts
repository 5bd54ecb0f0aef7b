/**
 * Install as a user would, from the packed tarballs: the CLI into an empty global prefix, a
 * config in an empty folder type-checked with tsc against the packed framework, and
 * `recsync plan` against the local S3 server. npm takes what it can from its cache (the
 * repository's `npm ci` filled it) and the rest from the registry.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree } from '@recsync/framework/testing';
import { recentDays } from '../support/cli.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());

/** The environment of a shell, without what `npm test` adds for its own scripts. */
const shellEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
);
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env: shellEnv,
    maxBuffer: 16 << 20,
  });

describe('installing the packed packages', () => {
  let tarballs: Record<string, string>;
  let prefix: string;
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-pack-'));
    await npm(['pack', '--workspaces', '--pack-destination', dir], ROOT);
    const files = await readdir(dir);
    tarballs = Object.fromEntries(
      files.map((f) => [f.replace(/^recsync-|-\d+\.\d+\.\d+.*\.tgz$/g, ''), path.join(dir, f)]),
    );
    prefix = await mkdtemp(path.join(os.tmpdir(), 'recsync-prefix-'));
    await npm(['install', '--global', '--prefix', prefix, ...Object.values(tarballs)], os.tmpdir());
  }, 240_000);

  it('gives a working recsync whose config type-checks and ' +
    'plans against the S3 server', async () => {
    const bin = path.join(prefix, 'bin', 'recsync');
    const version = JSON.parse(
      await import('node:fs').then((fs) =>
        fs.readFileSync(path.join(ROOT, 'packages/cli/package.json'), 'utf8'),
      ),
    ).version;
    expect((await run(bin, ['--version'], { env: shellEnv })).stdout).toContain(
      `@recsync/cli/${version}`,
    );

    const bucket = `pack-${randomBytes(5).toString('hex')}`;
    await client.createBucket(bucket);
    const day = recentDays(1)[0]!;
    const tree = await createTree({
      [`${day}/a.wav`]: { size: 2000, mtime: `${day}T09:00:00Z` },
      [`${day}/b.wav`]: { size: 4000, mtime: `${day}T09:30:00Z` },
    });

    // An empty folder: the config, a tsconfig, and the packed framework and strategy for types.
    const folder = await mkdtemp(path.join(os.tmpdir(), 'recsync-config-'));
    await writeFile(path.join(folder, 'package.json'), '{ "private": true, "type": "module" }\n');
    await npm(['install', '--save-dev', tarballs.framework!, tarballs['strategy-date']!], folder);
    await writeFile(
      path.join(folder, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        include: ['recsync.config.ts'],
      }),
    );
    const config = (remoteCheck: string) => `import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';

export default defineConfig({
  jobs: {
    rec: {
      source: ${JSON.stringify(tree.root)},
      target: {
        bucket: ${JSON.stringify(bucket)},
        endpoint: ${JSON.stringify(endpoint)},
        forcePathStyle: true,
      },
      strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' }),
      remoteCheck: ${JSON.stringify(remoteCheck)},
      upload: { maxBandwidth: '50MiB/s' },
    },
  },
});
`;
    // tsc really checks against the installed types: a wrong value is an error …
    await writeFile(path.join(folder, 'recsync.config.ts'), config('sometimes'));
    const wrong = await run('node', [TSC, '-p', folder], { env: shellEnv }).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect(wrong.stdout).toMatch(/recsync\.config\.ts.*'"sometimes"' is not assignable/);
    // … and the right one passes.
    await writeFile(path.join(folder, 'recsync.config.ts'), config('list'));
    await run('node', [TSC, '-p', folder], { env: shellEnv });

    const env = {
      ...shellEnv,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      NO_COLOR: '1',
    };
    const plan = await run(bin, ['plan'], { cwd: folder, env });
    expect(plan.stdout).toMatch(new RegExp(`${day}\\s+closed\\s+2\\b`));
    expect(plan.stdout).toContain(`via endpoint ${endpoint} (target.endpoint)`);

    // A config in a folder with nothing installed uses the CLI's own packages.
    const bare = await mkdtemp(path.join(os.tmpdir(), 'recsync-bare-'));
    await writeFile(path.join(bare, 'recsync.config.ts'), config('list'));
    const barePlan = await run(bin, ['plan', '--config', path.join(bare, 'recsync.config.ts')], {
      cwd: os.tmpdir(),
      env,
    });
    expect(barePlan.stdout).toMatch(/total\s+2\b/);
  }, 240_000);
});
