/**
 * The bundled command line (packages/cli/dist/bundle): `--version` prints what oclif prints; a
 * config's `@recsync/*` imports get the very modules the commands run; a plugin with its own
 * copy of the framework is still a plugin, and its RecsyncErrors are still RecsyncErrors.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree } from '@recsync/framework/testing';
import { BIN, recentDays, runCli, writeProbeConfig } from '../support/cli.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../packages/cli/', import.meta.url));
const FRAMEWORK = fileURLToPath(new URL('../../packages/framework/', import.meta.url));
const BUNDLE = path.join(CLI, 'dist', 'bundle');
const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());

/** Runs an ES module script with Node (outside vitest's module runner: real module instances). */
async function script(code: string, cwd: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd });
  return stdout.trim();
}

describe('the bundled command line', () => {
  it('answers --version with exactly what oclif prints', async () => {
    const cwd = os.tmpdir();
    const fast = await runCli(['--version'], { cwd });
    expect(fast.code).toBe(0);
    // oclif's own --version path, from the same bundle
    const oclif = await script(
      `const { execute } = await import(${JSON.stringify(path.join(BUNDLE, 'main.js'))});
       await execute({ dir: ${JSON.stringify(BIN)}, args: ['--version'] });`,
      cwd,
    );
    expect(fast.stdout.trim()).toBe(oclif);
    expect(oclif).toMatch(/^@recsync\/cli\/\d+\.\d+\.\d+\S* \S+-\S+ node-v\d+/);
    // and oclif's reading of the version flag: anything after it is ignored, -v is --verbose
    expect((await runCli(['--version', 'status'], { cwd })).stdout).toBe(fast.stdout);
    expect((await runCli(['-v'], { cwd })).stdout).not.toContain('@recsync/cli/');
  });

  it("gives a config's @recsync/* imports the modules the commands use", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-bundle-'));
    await writeProbeConfig(dir);
    const same = await script(
      `const { loadConfig } = await import(${JSON.stringify(path.join(BUNDLE, 'commands.js'))});
       const framework = await import(${JSON.stringify(path.join(BUNDLE, 'framework.js'))});
       const config = await loadConfig({ cwd: process.cwd() });
       const plugin = config.jobs[0].plugins.find((p) => p.name === 'probe');
       console.log(plugin.errorClass === framework.RecsyncError);`,
      dir,
    );
    expect(same).toBe('true');
  });

  it('recognises a plugin with its own copy of the framework, and its RecsyncErrors', async () => {
    const bucket = `bundle-${randomBytes(4).toString('hex')}`;
    await client.createBucket(bucket);
    const day = recentDays(1)[0]!;
    const tree = await createTree({ [`${day}/a.wav`]: { size: 100, mtime: `${day}T10:00:00Z` } });
    // A folder with its own @recsync/framework (the package's build, not the CLI's bundle)
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-own-copy-'));
    await mkdir(path.join(dir, 'node_modules', '@recsync'), { recursive: true });
    await symlink(FRAMEWORK, path.join(dir, 'node_modules', '@recsync', 'framework'));
    await writeFile(
      path.join(dir, 'refuse.mjs'),
      `import { RecsyncError, definePlugin } from '@recsync/framework';
export default definePlugin({
  name: 'refuse',
  apply(hooks) {
    hooks.run.tapPromise('refuse', async () => {
      throw new RecsyncError('E_USAGE', {
        message: 'the refuse plugin stops this run',
        hint: 'remove it',
      });
    });
  },
});
`,
    );
    await writeFile(
      path.join(dir, 'recsync.config.json'),
      JSON.stringify({
        jobs: {
          rec: {
            source: tree.root,
            target: { bucket, endpoint, forcePathStyle: true },
            strategy: { use: '@recsync/strategy-date', with: { timezone: 'UTC' } },
            plugins: [{ use: './refuse.mjs' }],
          },
        },
      }),
    );
    const result = await runCli(['sync'], { cwd: dir });
    // (sync's lines off a terminal start with a timestamp)
    expect(result.stderr).toContain('recsync: error E_USAGE: the refuse plugin stops this run\n');
    expect(result.stderr).toContain('  → remove it\n');
    expect(result.stderr).not.toContain('unexpected error');
    expect(result.code).toBe(2);
    expect(await client.keys(bucket, '')).toEqual([]);
  });
});
